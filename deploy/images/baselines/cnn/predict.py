"""ForgeryBench baseline "cnn": a small forensic CNN (model.py) trained by train.sh.

The weights (weights.pt) come from train.py on a smoke *train* split; train_log.json records
the split's generator, seed and count, the training seed, the exact command and the PyTorch
version. Runs on CUDA when the runner grants a GPU, on the CPU otherwise; images of the same
size go through the network together.

Built on the starter kit (forgerybench_starter), FROM forgerybench/base-torch (Debian
bookworm's python3-torch 1.13).
"""

import os
import sys

import numpy as np
import torch
from forgerybench_starter import run

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import BLOCK, SmallForensicNet

WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.pt")
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_model(path=WEIGHTS, device=DEVICE):
    saved = torch.load(path, map_location="cpu")
    model = SmallForensicNet(saved["width"])
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval()


def predict_with(model, device=DEVICE):
    @torch.no_grad()
    def predict(batch):
        scores = [0.5] * len(batch)
        groups = {}
        for i, rgb in enumerate(batch.images):
            if min(rgb.shape[:2]) >= 2 * BLOCK:  # smaller than the network can see: 0.5
                groups.setdefault(rgb.shape, []).append(i)
        for members in groups.values():
            x = torch.from_numpy(np.stack([batch.images[i] for i in members]))
            x = x.to(device).permute(0, 3, 1, 2).float()
            for i, p in zip(members, torch.sigmoid(model(x)).cpu().tolist(), strict=True):
                scores[i] = float(p)
        return scores

    return predict


if __name__ == "__main__":
    print(f"cnn: torch {torch.__version__} on {DEVICE}", file=sys.stderr, flush=True)
    raise SystemExit(run(predict_with(load_model()), batch_size=32))

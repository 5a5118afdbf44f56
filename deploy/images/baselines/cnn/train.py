"""Train the "cnn" baseline on a detection split folder; writes weights.pt and train_log.json.

Needs only PyTorch, NumPy and Pillow (runs inside forgerybench/base-torch, or anywhere they are
installed)::

    python3 train.py --data SPLIT --out DIR [--seed 0] [--device cpu|cuda|auto]

SPLIT holds ``inputs/manifest.jsonl`` with its images and ``labels/truth.jsonl`` (``{"id",
"label"}`` lines), the layout the smoke generators and importers write; train.sh makes a smoke
*train* split for it. On the CPU the run is deterministic for a given seed and thread count.
"""

import argparse
import json
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import SmallForensicNet

SIZE = 128  # training crops; the network itself takes any size


def crop(rgb, rng):
    """A SIZE x SIZE window (random when rng is given, else centred); small images reflect-pad."""
    h, w = rgb.shape[:2]
    if h < SIZE or w < SIZE:
        rgb = np.pad(rgb, ((0, max(0, SIZE - h)), (0, max(0, SIZE - w)), (0, 0)), mode="reflect")
        h, w = rgb.shape[:2]
    y = int(rng.integers(0, h - SIZE + 1)) if rng is not None else (h - SIZE) // 2
    x = int(rng.integers(0, w - SIZE + 1)) if rng is not None else (w - SIZE) // 2
    return rgb[y : y + SIZE, x : x + SIZE]


def load_split(root, rng):
    manifest = {}
    with open(os.path.join(root, "inputs", "manifest.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                manifest[row["id"]] = row["path"]
    images, labels = [], []
    with open(os.path.join(root, "labels", "truth.jsonl"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            row = json.loads(line)
            with Image.open(os.path.join(root, "inputs", manifest[row["id"]])) as img:
                images.append(crop(np.asarray(img.convert("RGB"), dtype=np.uint8), rng))
            labels.append(float(row["label"]))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()  # uint8 NCHW
    return x, torch.tensor(labels)


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device is available to this PyTorch")
    return torch.device(name)


def main(argv=None):
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", required=True, help="split folder (inputs/, labels/)")
    parser.add_argument("--out", required=True, help="folder for weights.pt and train_log.json")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=0, help="CPU threads (0: PyTorch's)")
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    torch.use_deterministic_algorithms(True)
    rng = np.random.default_rng(args.seed)
    x, y = load_split(args.data, rng)
    model = SmallForensicNet(args.width).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * ((len(x) + args.batch_size - 1) // args.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=args.lr, total_steps=steps)
    log = {
        "seed": args.seed,
        "command": " ".join(["python3", "train.py", *(argv if argv is not None else sys.argv[1:])]),
        "samples": len(x),
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "width": args.width,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "loss": [],
    }
    start = time.monotonic()
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(x))
        total = 0.0
        for begin in range(0, len(x), args.batch_size):
            index = torch.from_numpy(order[begin : begin + args.batch_size])
            batch = x[index].float()
            flips = torch.from_numpy(rng.integers(0, 4, size=len(index)))
            batch = torch.where((flips % 2 == 1).view(-1, 1, 1, 1), batch.flip(3), batch)
            batch = torch.where((flips >= 2).view(-1, 1, 1, 1), batch.flip(2), batch)
            logits = model(batch.to(device))
            loss = F.binary_cross_entropy_with_logits(logits, y[index].to(device))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss) * len(index)
        log["loss"].append(round(total / len(x), 5))
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / len(x):.4f}", flush=True)
    log["seconds"] = round(time.monotonic() - start, 1)
    os.makedirs(args.out, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    torch.save({"width": args.width, "state_dict": state}, os.path.join(args.out, "weights.pt"))
    with open(os.path.join(args.out, "train_log.json"), "w", encoding="utf-8") as f:
        json.dump(log, f, indent=1)
        f.write("\n")
    print(f"trained in {log['seconds']} s on {device}; wrote {args.out}/weights.pt", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Example detector in PyTorch: the NumPy example's texture statistic as a tiny conv model.

Fixed (untrained) filters: a Laplacian and two gradient kernels, block averages by pooling,
and the spread of log(Laplacian energy) - log(gradient energy) across blocks as the score.
It runs on CUDA when a GPU is visible and on the CPU otherwise; swap in your trained network
and keep the batching.
"""

import math
import sys

import torch
import torch.nn.functional as F
from forgerybench_starter import run

BLOCK = 16
CENTRE, SCALE = 0.33, 0.17
DEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")


class Texture(torch.nn.Module):
    def __init__(self):
        super().__init__()
        lap = torch.tensor([[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]])
        dx = torch.tensor([[0.0, 0.0, 0.0], [0.0, -1.0, 1.0], [0.0, 0.0, 0.0]])
        dy = torch.tensor([[0.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 1.0, 0.0]])
        self.register_buffer("kernels", torch.stack([lap, dx, dy]).unsqueeze(1))
        self.register_buffer("luma", torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1))

    def forward(self, rgb):  # (1, 3, H, W) float
        gray = (rgb * self.luma).sum(dim=1, keepdim=True)
        response = F.conv2d(gray, self.kernels)
        lap2 = F.avg_pool2d(response[:, :1] ** 2, BLOCK)
        grad2 = F.avg_pool2d(response[:, 1:2] ** 2 + response[:, 2:] ** 2, BLOCK)
        curvature = torch.log(lap2 + 1.0) - torch.log(grad2 + 1.0)
        return curvature.flatten(1).std(dim=1)


MODEL = Texture().to(DEVICE).eval()


@torch.no_grad()
def predict(batch):
    scores = []
    for image in batch.images:  # images differ in size: one forward pass each
        if min(image.shape[:2]) < 2 * BLOCK + 2:
            scores.append(0.5)
            continue
        rgb = torch.tensor(image, device=DEVICE).permute(2, 0, 1).unsqueeze(0).float()
        z = (float(MODEL(rgb)[0]) - CENTRE) / SCALE
        scores.append(1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z)))))
    return scores


if __name__ == "__main__":
    print(f"torch {torch.__version__} on {DEVICE}", file=sys.stderr, flush=True)
    raise SystemExit(run(predict, batch_size=16))

"""The "cnn" baseline's network: a small forensic CNN for image-level detection.

A fixed high-pass front end (Laplacian and two first differences of the luminance, as in
SRM-style forensic networks) suppresses content so that the learned layers see residuals; four
learned convolution stages with batch normalisation follow, and global average and max pooling
feed one logit, so any image size works and a small manipulated region can still dominate the
max. About 17 k parameters. PyTorch only (Debian bookworm's 1.13 and newer).
"""

import torch
import torch.nn.functional as F
from torch import nn

LUMA = (0.299, 0.587, 0.114)
BLOCK = 4  # pixel-unshuffle factor: inputs are cropped to multiples of it


class SmallForensicNet(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        lap = [[0.0, -1.0, 0.0], [-1.0, 4.0, -1.0], [0.0, -1.0, 0.0]]
        dx = [[0.0, 0.0, 0.0], [0.0, -1.0, 1.0], [0.0, 0.0, 0.0]]
        dy = [[0.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 1.0, 0.0]]
        self.register_buffer("highpass", torch.tensor([lap, dx, dy]).unsqueeze(1))
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1))
        w = width

        def stage(cin, cout, k=3):
            return [nn.Conv2d(cin, cout, k, padding=k // 2), nn.BatchNorm2d(cout), nn.ReLU()]

        # Residuals are folded 4x4 into channels (pixel unshuffle): every learned layer still
        # sees each residual value, at a sixteenth of the full-resolution cost.
        self.features = nn.Sequential(
            *stage(3 * BLOCK * BLOCK, w, 1),
            *stage(w, w),
            nn.AvgPool2d(2),
            *stage(w, 2 * w),
            *stage(2 * w, 2 * w),
        )
        self.head = nn.Linear(4 * w, 1)

    def forward(self, rgb):
        """rgb: (N, 3, H, W) floats on the 0-255 scale -> (N,) logits of P(fake).

        H and W are cropped down to multiples of BLOCK.
        """
        h, w = rgb.shape[2] // BLOCK * BLOCK, rgb.shape[3] // BLOCK * BLOCK
        gray = (rgb[:, :, :h, :w] * self.luma).sum(dim=1, keepdim=True)
        residual = F.conv2d(F.pad(gray, (1, 1, 1, 1), mode="replicate"), self.highpass)
        x = self.features(F.pixel_unshuffle(residual / 8.0, BLOCK))
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)
        return self.head(pooled).squeeze(1)

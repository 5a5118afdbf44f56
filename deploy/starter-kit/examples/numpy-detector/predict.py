"""Example detector (NumPy only): does the texture of some regions disagree with the rest?

A spliced, resampled or copy-moved region usually has a different relation between its
finest-scale detail and its gradients than the camera gave the rest of the photo. Per
16 x 16 block we take log(Laplacian energy) - log(gradient energy); the spread of that map
across blocks is the score. Training-free; a starting point (val AUC ~0.68 on Smoke-Detect),
not a good detector.
"""

import math

import numpy as np
from forgerybench_starter import run

BLOCK = 16
# Centre and scale of the spread on Smoke-Detect val, so scores straddle 0.5.
CENTRE, SCALE = 0.33, 0.17


def blocks(x):
    h, w = (x.shape[0] // BLOCK) * BLOCK, (x.shape[1] // BLOCK) * BLOCK
    return x[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK).mean(axis=(1, 3))


def score(image):
    g = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    if min(g.shape) < 2 * BLOCK + 2:
        return 0.5
    lap = 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]
    grad = np.diff(g, axis=1)[:-1, :] ** 2 + np.diff(g, axis=0)[:, :-1] ** 2
    n, m = lap.shape
    curvature = np.log(blocks(lap**2) + 1.0) - np.log(blocks(grad[:n, :m]) + 1.0)
    z = (float(curvature.std()) - CENTRE) / SCALE
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def predict(batch):
    return [score(image) for image in batch.images]


if __name__ == "__main__":
    raise SystemExit(run(predict, batch_size=32))

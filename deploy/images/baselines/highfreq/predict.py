"""ForgeryBench baseline "highfreq": a training-light detector of local resampling and noise
inconsistencies.

Idea: a camera photo has roughly the same fine-scale statistics everywhere (sensor noise,
demosaicing, one resampling history). A region that was resampled (bilinear/bicubic up- or
down-scaling) or pasted from another photo breaks that: it is smoother at the finest scale
relative to its slope and coarser detail, or its noise floor differs. For block sizes 8 and 16
we map three residual statistics per block and summarise each map by how far its extreme
blocks sit from the image's own median. A logistic regression over these 24 numbers, whose
constants come from ``fit.py`` (fitted on a val-style split, seed recorded in weights.json),
turns them into P(fake).

Contract: reads /input/task.json and /input/manifest.jsonl, writes /output/predictions.jsonl
with {"id", "score"} per manifest line. Runs on Debian bookworm's python3 (3.11), NumPy 1.24 and
Pillow 9.4: no newer APIs.
"""

import json
import math
import os
import sys
import time

import numpy as np
from PIL import Image

INPUT = os.environ.get("FORGERYBENCH_INPUT", "/input")
OUTPUT = os.environ.get("FORGERYBENCH_OUTPUT", "/output")
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.json")
BLOCKS = (8, 16)


def log(msg):
    print("highfreq: " + msg, file=sys.stderr, flush=True)


def luminance(path):
    with Image.open(path) as img:
        rgb = np.asarray(img.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def _pad_to(x, shape):
    """Edge-pad a residual back to the image's shape so blocks line up across maps."""
    return np.pad(x, ((0, shape[0] - x.shape[0]), (0, shape[1] - x.shape[1])), mode="edge")


def _laplacian(g):
    return 4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:]


def _blocks(x, b):
    """(rows, cols, b*b) view of x cut into b x b blocks (the ragged edge is dropped)."""
    h, w = (x.shape[0] // b) * b, (x.shape[1] // b) * b
    return x[:h, :w].reshape(h // b, b, w // b, b).transpose(0, 2, 1, 3).reshape(h // b, w // b, -1)


def _summary(m):
    """How far the most extreme blocks sit from the image's median block, and the spread."""
    v = np.sort(m.ravel())
    k = max(1, v.size // 32)
    med = float(np.median(v))
    return [float(v[:k].mean()) - med, float(v[-k:].mean()) - med, float(v.std()), med]


def features(g):
    """24 numbers describing block-to-block inconsistency of fine-scale residuals."""
    shape = g.shape
    lap2 = np.pad(_laplacian(g), 1, mode="edge") ** 2
    grad2 = _pad_to(np.diff(g, axis=1)[:-1, :] ** 2 + np.diff(g, axis=0)[:, :-1] ** 2, shape)
    diag = np.abs(_pad_to((g[:-1, :-1] - g[1:, :-1] - g[:-1, 1:] + g[1:, 1:]) / 2, shape))
    # Laplacian one octave down (2x2 means), upsampled back by repetition.
    h2, w2 = shape[0] // 2 * 2, shape[1] // 2 * 2
    half = (g[0:h2:2, 0:w2:2] + g[1:h2:2, 0:w2:2] + g[0:h2:2, 1:w2:2] + g[1:h2:2, 1:w2:2]) / 4
    coarse2 = _pad_to(
        np.kron(np.pad(_laplacian(half), 1, mode="edge") ** 2, np.ones((2, 2))), shape
    )
    out = []
    for b in BLOCKS:
        fine = np.log(_blocks(lap2, b).mean(axis=2) + 1.0)
        curvature = fine - np.log(_blocks(grad2, b).mean(axis=2) + 1.0)
        octave = fine - np.log(_blocks(coarse2, b).mean(axis=2) + 1.0)
        noise = np.log(np.median(_blocks(diag, b), axis=2) + 0.3)
        for m in (curvature, octave, noise):
            out += _summary(m)
    return out


def load_model(path=WEIGHTS):
    with open(path, encoding="utf-8") as f:
        model = json.load(f)
    return (
        np.asarray(model["mean"], dtype=np.float64),
        np.asarray(model["scale"], dtype=np.float64),
        np.asarray(model["coef"], dtype=np.float64),
        float(model["intercept"]),
    )


def score(x, model):
    mean, scale, coef, intercept = model
    z = float(((np.asarray(x, dtype=np.float64) - mean) / scale) @ coef + intercept)
    if not math.isfinite(z):
        return 0.5
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def main():
    with open(os.path.join(INPUT, "task.json"), encoding="utf-8") as f:
        task = json.load(f)
    if task.get("task") != "detection":
        log(f"unsupported task {task.get('task')!r}")
        return 2
    model = load_model()
    with open(os.path.join(INPUT, "manifest.jsonl"), encoding="utf-8") as f:
        items = [json.loads(line) for line in f if line.strip()]
    log(f"{len(items)} samples, track {task.get('track')}")
    start = time.monotonic()
    out_path = os.path.join(OUTPUT, task.get("outputs", "predictions.jsonl"))
    with open(out_path, "w", encoding="utf-8") as out:
        for n, item in enumerate(items, 1):
            try:
                p = score(features(luminance(os.path.join(INPUT, item["path"]))), model)
            except Exception as exc:  # one unreadable file must not sink the whole run
                log(f"{item['id']}: {exc}; scoring 0.5")
                p = 0.5
            out.write(json.dumps({"id": item["id"], "score": round(p, 6)}) + "\n")
            if n % 100 == 0 or n == len(items):
                log(f"{n}/{len(items)} done ({time.monotonic() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

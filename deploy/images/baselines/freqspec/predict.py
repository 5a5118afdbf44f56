"""ForgeryBench baseline "freqspec": azimuthally averaged power spectrum + logistic regression
(after Durall et al., "Unmasking DeepFakes with simple features", 2019).

The luminance's 2-D FFT power is averaged over rings of equal spatial frequency, giving a 1-D
spectrum of BINS values from low to the Nyquist frequency (radii normalised by the image size,
so any size gives the same features). Resampling and pasting change how power falls off at high
frequencies. Log powers relative to the spectrum's own mean go through a logistic regression
whose constants fit.py learns on a smoke *train* split (weights.json records seed and count).

Built on the starter kit (forgerybench_starter). Runs on Debian bookworm's python3 (3.11),
NumPy 1.24 and Pillow 9.4.
"""

import json
import math
import os

import numpy as np
from forgerybench_starter import run

BINS = 64
LUMA = np.array([0.299, 0.587, 0.114])
WEIGHTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights.json")


def spectrum(rgb):
    """BINS log powers, from the lowest non-zero frequency ring to Nyquist, mean removed."""
    g = rgb.astype(np.float64) @ LUMA
    g = g - g.mean()
    power = np.abs(np.fft.fft2(g)) ** 2 / g.size
    fy = np.fft.fftfreq(g.shape[0])[:, None]
    fx = np.fft.fftfreq(g.shape[1])[None, :]
    radius = np.sqrt(fx**2 + fy**2)  # cycles per pixel, 0 .. ~0.707
    ring = np.floor(radius / 0.5 * BINS).astype(int)
    keep = (ring >= 1) & (ring <= BINS)  # DC ring out, corners beyond Nyquist out
    sums = np.bincount(ring[keep] - 1, weights=power[keep], minlength=BINS)
    counts = np.bincount(ring[keep] - 1, minlength=BINS)
    spec = np.log(sums / np.maximum(counts, 1) + 1e-3)
    return spec - spec.mean()


def load_model(path=WEIGHTS):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    mean, scale, coef = (np.asarray(m[k], dtype=np.float64) for k in ("mean", "scale", "coef"))
    return mean, scale, coef, float(m["intercept"])


def score(x, model):
    mean, scale, coef, intercept = model
    z = float(((np.asarray(x, dtype=np.float64) - mean) / scale) @ coef + intercept)
    if not math.isfinite(z):
        return 0.5
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def predict_with(model):
    def predict(batch):
        return [score(spectrum(rgb), model) for rgb in batch.images]

    return predict


if __name__ == "__main__":
    raise SystemExit(run(predict_with(load_model()), batch_size=32))

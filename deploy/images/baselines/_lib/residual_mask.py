"""Residual map -> mask, shared by the ELA and NOI baselines (copied into their images).

Both methods give a per-pixel residual (recompression error, high-pass noise) whose local level
should be the same across an untouched photo. The mask marks where the local level departs from
the image's own median by more than a threshold, in robust standard units (median absolute
deviation). Direction, window, threshold and gate are tuned on a train split by tune.py and
shipped in params.json.

Runs on Debian bookworm's python3 (3.11) and NumPy 1.24.
"""

import numpy as np

EPS = 0.5  # residuals are on the 0-255 scale; keeps log() finite on flat regions


def box_mean(x, k):
    """Mean over the k x k window around every pixel (edge-padded, same shape as x)."""
    before = k // 2
    padded = np.pad(x, ((before, k - 1 - before), (before, k - 1 - before)), mode="edge")
    c = np.pad(np.cumsum(np.cumsum(padded, axis=0), axis=1), ((1, 0), (1, 0)))
    return (c[k:, k:] - c[:-k, k:] - c[k:, :-k] + c[:-k, :-k]) / float(k * k)


def robust_z(residual, window):
    """log local residual level in robust z units against the image's own median."""
    level = np.log(box_mean(np.asarray(residual, dtype=np.float64), window) + EPS)
    median = float(np.median(level))
    mad = float(np.median(np.abs(level - median))) * 1.4826
    return (level - median) / (mad + 1e-6)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.clip(x, -50.0, 50.0)))


def to_mask(z, params):
    """(P(manipulated) per pixel in [0, 1], image score) under the tuned parameters.

    A pixel is marked (mask >= 0.5) where direction * z exceeds the threshold; an image whose
    strongest departure stays under the gate gets its whole mask scaled below 0.5 (nothing
    marked) while keeping the pixel order, so per-image pixel AUC is unaffected. The
    strength is the 99th percentile, not the maximum: one odd pixel must not open the gate.
    """
    s = params["direction"] * z
    mask = _sigmoid(2.0 * (s - params["threshold"]))
    strength = float(np.percentile(s, 99)) if s.size else 0.0
    gate = params.get("gate")  # None: every image may be marked
    if gate is not None and strength <= gate:
        mask = mask * 0.49
    return mask, float(_sigmoid(strength - (params["threshold"] if gate is None else gate)))

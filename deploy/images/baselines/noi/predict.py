"""ForgeryBench baseline "noi": local noise-level inconsistency (after Mahdian and Saic, 2009).

The finest diagonal wavelet band (Haar HH1) of the luminance is mostly sensor noise; its local
mean absolute value estimates the noise level around every pixel. A region pasted from another
photo, resampled or inpainted carries a different noise level from the rest of the image; the
shared residual_mask marks where the local level departs from the image's own median, with
parameters tuned by tune.py on a smoke *train* split (params.json records it).

Built on the starter kit (forgerybench_starter). Runs on Debian bookworm's python3 (3.11),
NumPy 1.24 and Pillow 9.4.
"""

import json
import os

import numpy as np
from forgerybench_starter import run
from residual_mask import robust_z, to_mask

PARAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "params.json")
LUMA = np.array([0.299, 0.587, 0.114])


def residual(rgb):
    """|HH1| of the Haar transform at every pixel position (undecimated), edge-padded."""
    g = rgb.astype(np.float64) @ LUMA
    if min(g.shape) < 2:
        return np.zeros(g.shape)
    hh = np.abs(g[:-1, :-1] - g[1:, :-1] - g[:-1, 1:] + g[1:, 1:]) / 2.0
    return np.pad(hh, ((0, 1), (0, 1)), mode="edge")


def load_params(path=PARAMS):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def predict_with(params):
    def predict(batch):
        p = params[batch.task]
        return [to_mask(robust_z(residual(rgb), p["window"]), p) for rgb in batch.images]

    return predict


if __name__ == "__main__":
    raise SystemExit(run(predict_with(load_params()), batch_size=16))

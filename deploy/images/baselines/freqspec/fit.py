"""Fit the "freqspec" baseline's logistic regression on a smoke train split into weights.json.

From a checkout with the project's environment::

    python deploy/images/baselines/freqspec/fit.py [--check-seed 2]

The train split comes from the Smoke-Detect generator with the split name "train" and the seed
below (no benchmark split uses it); an L2-regularised logistic regression is fitted by Newton's
method (NumPy only). ``--check-seed`` also reports AUC on a fresh test split.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the build context free of caches
sys.path[:0] = [
    str(HERE),
    str(HERE.parent / "_lib"),
    str(HERE.parents[2] / "starter-kit"),
    str(HERE.parents[3]),
]

import predict  # noqa: E402
from logistic_fit import fit_to_file  # noqa: E402

FIT_SPLIT, FIT_SEED, FIT_COUNT = "train", 103, 2000


def spectrum_of(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return predict.spectrum(np.asarray(img.convert("RGB")))


if __name__ == "__main__":
    raise SystemExit(
        fit_to_file(
            predict=predict,
            feature=spectrum_of,
            folder=HERE,
            description=(__doc__ or "").splitlines()[0],
            fit=(FIT_SPLIT, FIT_SEED, FIT_COUNT),
            check_count=400,
            extra={"bins": predict.BINS},
        )
    )

"""Fit the "highfreq" baseline's logistic-regression constants into weights.json.

Run from a checkout with the project's environment (NumPy, Pillow, scikit-image)::

    python deploy/images/baselines/highfreq/fit.py [--check-seed 2]

It generates a *val* Smoke-Detect split (val draws from different photo regions than every test
split) with the seed recorded below and in weights.json, extracts predict.py's features and fits
an L2-regularised logistic regression by Newton's method (NumPy only: no scikit-learn needed).
``--check-seed`` also reports AUC on a fresh test split, which must use a seed other than FIT_SEED.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the build context free of caches
# predict.py, the shared fitting recipe, and the repository root
sys.path[:0] = [str(HERE), str(HERE.parent / "_lib"), str(HERE.parents[3])]

import predict  # noqa: E402
from logistic_fit import fit_to_file  # noqa: E402

FIT_SPLIT, FIT_SEED, FIT_COUNT = "val", 101, 2000

if __name__ == "__main__":
    raise SystemExit(
        fit_to_file(
            predict=predict,
            feature=lambda path: predict.features(predict.luminance(path)),
            folder=HERE,
            description=__doc__.splitlines()[0],
            fit=(FIT_SPLIT, FIT_SEED, FIT_COUNT),
            check_count=200,
        )
    )

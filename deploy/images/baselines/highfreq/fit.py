"""Fit the "highfreq" baseline's logistic-regression constants into weights.json.

Run from a checkout with the project's environment (NumPy, Pillow, scikit-image)::

    python deploy/images/baselines/highfreq/fit.py [--check-seed 2]

It generates a *val* Smoke-Detect split (val draws from different photo regions than every test
split) with the seed recorded below and in weights.json, extracts predict.py's features and fits
an L2-regularised logistic regression by Newton's method (NumPy only: no scikit-learn needed).
``--check-seed`` also reports AUC on a fresh test split, which must use a seed other than FIT_SEED.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the build context free of caches
sys.path[:0] = [str(HERE), str(HERE.parents[3])]  # predict.py, and the repository root

import predict  # noqa: E402

from benchmarks.smoke.detect import build_detection_split  # noqa: E402

FIT_SPLIT, FIT_SEED, FIT_COUNT = "val", 101, 2000
L2 = 1.0


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic, ties counted half."""
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ranks[order] = np.arange(1, len(s) + 1)
    for v in np.unique(s):  # average ranks of ties
        tie = s == v
        ranks[tie] = ranks[tie].mean()
    n1 = int(y.sum())
    n0 = len(y) - n1
    return float((ranks[y == 1].sum() - n1 * (n1 + 1) / 2) / (n0 * n1))


def split_features(split: str, seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        inputs, labels = Path(tmp) / "inputs", Path(tmp) / "labels"
        build_detection_split(
            inputs_dir=inputs, labels_dir=labels, split=split, count=count, seed=seed
        )
        rows = [json.loads(line) for line in (labels / "truth.jsonl").read_text().splitlines()]
        x = np.array(
            [
                predict.features(predict.luminance(inputs / "images" / f"{r['id']}.png"))
                for r in rows
            ]
        )
        return x, np.array([r["label"] for r in rows], dtype=np.float64)


def logistic_fit(x: np.ndarray, y: np.ndarray, l2: float) -> tuple[np.ndarray, float]:
    """Newton-Raphson on the penalised log-likelihood (intercept not penalised)."""
    a = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(a.shape[1])
    penalty = np.full(a.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        grad = a.T @ (p - y) + penalty * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w[:-1], float(w[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check-seed", type=int, action="append", default=[])
    parser.add_argument("--check-count", type=int, default=200)
    args = parser.parse_args()
    if FIT_SEED in args.check_seed:
        parser.error("check on a seed other than the fitting seed")

    x, y = split_features(FIT_SPLIT, FIT_SEED, FIT_COUNT)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    coef, intercept = logistic_fit((x - mean) / scale, y, L2)
    model = (mean, scale, coef, intercept)
    train_auc = auc(y, np.array([predict.score(row, model) for row in x]))
    weights = {
        "fit": {"split": FIT_SPLIT, "seed": FIT_SEED, "count": FIT_COUNT, "l2": L2},
        "fit_auc": round(train_auc, 4),
        "mean": [round(float(v), 8) for v in mean],
        "scale": [round(float(v), 8) for v in scale],
        "coef": [round(float(v), 8) for v in coef],
        "intercept": round(intercept, 8),
    }
    (HERE / "weights.json").write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
    print(f"fit on {FIT_SPLIT} seed {FIT_SEED} ({FIT_COUNT}): AUC {train_auc:.3f}")

    model = predict.load_model(str(HERE / "weights.json"))  # check what ships, rounding included
    for seed in args.check_seed:
        xt, yt = split_features("test", seed, args.check_count)
        scores = np.array([predict.score(row, model) for row in xt])
        print(f"check on test seed {seed} ({args.check_count}): AUC {auc(yt, scores):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

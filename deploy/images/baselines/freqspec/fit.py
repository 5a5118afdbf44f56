"""Fit the "freqspec" baseline's logistic regression on a smoke train split into weights.json.

From a checkout with the project's environment::

    python deploy/images/baselines/freqspec/fit.py [--check-seed 2]

The train split comes from the Smoke-Detect generator with the split name "train" and the seed
below (no benchmark split uses it); an L2-regularised logistic regression is fitted by Newton's
method (NumPy only). ``--check-seed`` also reports AUC on a fresh test split.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep the build context free of caches
sys.path[:0] = [str(HERE), str(HERE.parents[2] / "starter-kit"), str(HERE.parents[3])]

import predict  # noqa: E402

from benchmarks.smoke.detect import build_detection_split  # noqa: E402

FIT_SPLIT, FIT_SEED, FIT_COUNT = "train", 103, 2000
L2 = 1.0


def auc(y: np.ndarray, s: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic, ties counted half."""
    pos, neg = s[y == 1], s[y == 0]
    wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(wins / (len(pos) * len(neg)))


def split_features(split: str, seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        inputs, labels = Path(tmp) / "inputs", Path(tmp) / "labels"
        build_detection_split(
            inputs_dir=inputs, labels_dir=labels, split=split, count=count, seed=seed
        )
        rows = [json.loads(line) for line in (labels / "truth.jsonl").read_text().splitlines()]
        x = []
        for r in rows:
            with Image.open(inputs / "images" / f"{r['id']}.png") as img:
                x.append(predict.spectrum(np.asarray(img.convert("RGB"))))
        return np.array(x), np.array([r["label"] for r in rows], dtype=np.float64)


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
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check-seed", type=int, action="append", default=[])
    parser.add_argument("--check-count", type=int, default=400)
    args = parser.parse_args()
    if FIT_SEED in args.check_seed:
        parser.error("check on a seed other than the fitting seed")

    x, y = split_features(FIT_SPLIT, FIT_SEED, FIT_COUNT)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    coef, intercept = logistic_fit((x - mean) / scale, y, L2)
    model = (mean, scale, coef, intercept)
    fit_auc = auc(y, np.array([predict.score(row, model) for row in x]))
    weights = {
        "fit": {"split": FIT_SPLIT, "seed": FIT_SEED, "count": FIT_COUNT, "l2": L2},
        "bins": predict.BINS,
        "fit_auc": round(fit_auc, 4),
        "mean": [round(float(v), 8) for v in mean],
        "scale": [round(float(v), 8) for v in scale],
        "coef": [round(float(v), 8) for v in coef],
        "intercept": round(intercept, 8),
    }
    (HERE / "weights.json").write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
    print(f"fit on {FIT_SPLIT} seed {FIT_SEED} ({FIT_COUNT}): AUC {fit_auc:.3f}")

    model = predict.load_model(str(HERE / "weights.json"))  # what ships, rounding included
    for seed in args.check_seed:
        xt, yt = split_features("test", seed, args.check_count)
        scores = np.array([predict.score(row, model) for row in xt])
        print(f"check on test seed {seed} ({args.check_count}): AUC {auc(yt, scores):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

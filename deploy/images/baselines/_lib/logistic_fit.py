"""Fit a detection baseline's L2-regularised logistic regression on a generated Smoke-Detect
split and write its weights.json: the one recipe behind highfreq/fit.py and freqspec/fit.py.

Runs from a checkout with the project's environment (the repository root on ``sys.path``); it
is not copied into any image. Newton's method in NumPy: no scikit-learn needed.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from benchmarks.smoke.detect import build_detection_split
from evaluator.metrics.binary import roc_auc_score

L2 = 1.0


def split_features(
    feature: Callable[[Path], np.ndarray], split: str, seed: int, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Features of every image of a freshly generated split, and its labels."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs, labels = Path(tmp) / "inputs", Path(tmp) / "labels"
        build_detection_split(
            inputs_dir=inputs, labels_dir=labels, split=split, count=count, seed=seed
        )
        rows = [json.loads(line) for line in (labels / "truth.jsonl").read_text().splitlines()]
        x = np.array([feature(inputs / "images" / f"{r['id']}.png") for r in rows])
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


def fit_to_file(
    *,
    predict: ModuleType,
    feature: Callable[[Path], np.ndarray],
    folder: Path,
    description: str,
    fit: tuple[str, int, int],
    check_count: int,
    extra: dict[str, Any] | None = None,
) -> int:
    """The fit.py command line: fit on ``fit`` = (split, seed, count), write weights.json (with
    ``extra`` keys after the fit record), then report AUC on each ``--check-seed`` test split."""
    split, seed, count = fit
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check-seed", type=int, action="append", default=[])
    parser.add_argument("--check-count", type=int, default=check_count)
    args = parser.parse_args()
    if seed in args.check_seed:
        parser.error("check on a seed other than the fitting seed")

    x, y = split_features(feature, split, seed, count)
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    coef, intercept = logistic_fit((x - mean) / scale, y, L2)
    model = (mean, scale, coef, intercept)
    fit_auc = roc_auc_score(y, np.array([predict.score(row, model) for row in x]))
    weights = {
        "fit": {"split": split, "seed": seed, "count": count, "l2": L2},
        **(extra or {}),
        "fit_auc": round(fit_auc, 4),
        "mean": [round(float(v), 8) for v in mean],
        "scale": [round(float(v), 8) for v in scale],
        "coef": [round(float(v), 8) for v in coef],
        "intercept": round(intercept, 8),
    }
    (folder / "weights.json").write_text(json.dumps(weights, indent=1) + "\n", encoding="utf-8")
    print(f"fit on {split} seed {seed} ({count}): AUC {fit_auc:.3f}")

    model = predict.load_model(str(folder / "weights.json"))  # what ships, rounding included
    for check_seed in args.check_seed:
        xt, yt = split_features(feature, "test", check_seed, args.check_count)
        check_auc = roc_auc_score(yt, np.array([predict.score(row, model) for row in xt]))
        print(f"check on test seed {check_seed} ({args.check_count}): AUC {check_auc:.3f}")
    return 0

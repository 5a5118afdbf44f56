"""Input checks shared by the metric functions: explicit ValueErrors naming the bad value."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def check_binary(
    y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None, name: str
) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.float64] | None]:
    """Return labels as bool, scores as float64 and weights (or None), all 1-D and aligned."""
    labels = np.asarray(y_true)
    scores = np.asarray(y_score, dtype=np.float64)
    if labels.ndim != 1 or scores.ndim != 1:
        raise ValueError(f"{name}: y_true and y_score must be 1-D")
    if labels.shape != scores.shape:
        raise ValueError(f"{name}: {labels.size} labels but {scores.size} scores")
    if labels.size == 0:
        raise ValueError(f"{name}: no samples")
    if labels.dtype != np.bool_:
        if not np.isin(labels, (0, 1)).all():
            bad = labels[~np.isin(labels, (0, 1))][0]
            raise ValueError(f"{name}: y_true must hold 0 or 1, got {bad!r}")
        labels = labels.astype(np.bool_)
    if not np.isfinite(scores).all():
        raise ValueError(f"{name}: y_score holds a non-finite value")
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=np.float64)
        if weights.shape != labels.shape:
            raise ValueError(f"{name}: sample_weight must have one weight per sample")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(f"{name}: sample_weight must be finite and non-negative")
        if weights.sum() <= 0:
            raise ValueError(f"{name}: sample_weight sums to zero")
    return labels, scores, weights


def require_both_classes(positives: float, negatives: float, name: str) -> None:
    if positives <= 0 or negatives <= 0:
        only = "negatives (0)" if positives <= 0 else "positives (1)"
        raise ValueError(f"{name} is undefined when y_true holds only {only}")

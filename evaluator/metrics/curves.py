"""ROC and precision-recall curves for plotting (detection), from scores and labels.

One point per distinct score threshold, predicted positive iff score >= threshold, as
scikit-learn's `roc_curve` (without dropping collinear points) and `precision_recall_curve`.

>>> fpr, tpr = roc_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
>>> [round(v, 2) for v in tpr]
[0.0, 0.5, 0.5, 1.0, 1.0]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _cumulative_counts(
    labels: ArrayLike, scores: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    y = np.asarray(labels).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.shape != s.shape or y.ndim != 1 or y.size == 0:
        raise ValueError("labels and scores must be non-empty 1-D arrays of one length")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last_of_threshold = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]
    true_positives = np.cumsum(y)[last_of_threshold].astype(np.float64)
    false_positives = (last_of_threshold + 1 - true_positives).astype(np.float64)
    return true_positives, false_positives


def roc_points(labels: ArrayLike, scores: ArrayLike) -> tuple[list[float], list[float]]:
    """(false positive rates, true positive rates), starting at (0, 0)."""
    tp, fp = _cumulative_counts(labels, scores)
    if tp[-1] == 0 or fp[-1] == 0:
        raise ValueError("a ROC curve needs both classes")
    return [0.0, *(fp / fp[-1]).tolist()], [0.0, *(tp / tp[-1]).tolist()]


def pr_points(labels: ArrayLike, scores: ArrayLike) -> tuple[list[float], list[float]]:
    """(recalls, precisions), from the highest threshold down, ending at full recall."""
    tp, fp = _cumulative_counts(labels, scores)
    if tp[-1] == 0:
        raise ValueError("a precision-recall curve needs at least one positive")
    return (tp / tp[-1]).tolist(), (tp / (tp + fp)).tolist()

"""Binary metrics on scores: detection and image-level localization (protocol §4).

Pure functions in the style of ``sklearn.metrics``: ``name(y_true, y_score, *, ...) -> float``,
label 1 = fake, higher score = more likely fake. Every function accepts ``sample_weight``; the
bootstrap uses integer weights (how often each unit was drawn), which gives exactly the metric of
the resampled set without materializing it.

>>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
0.75
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evaluator.metrics._checks import check_binary, require_both_classes

THRESHOLD = 0.5  # predicted positive iff score > 0.5
LOG_LOSS_EPS = 1e-15


class SortedScores:
    """Scores sorted once, grouped by distinct value; metrics for any weights in O(n), no sort.

    ``pos[g]`` / ``neg[g]`` are the (weighted) positives / negatives scoring exactly the g-th
    smallest distinct value, so ties are handled by construction, as scikit-learn does.
    """

    def __init__(self, labels: NDArray[np.bool_], scores: NDArray[np.float64]):
        self.order = np.argsort(scores, kind="stable")
        sorted_scores = scores[self.order]
        self.labels = labels[self.order]
        change = np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]) + 1
        self.starts = np.concatenate(([0], change))

    def counts(
        self, weights: NDArray[np.float64] | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per distinct score, ascending: (weighted positives, weighted negatives)."""
        w = np.ones(self.labels.size) if weights is None else weights[self.order]
        pos = np.add.reduceat(np.where(self.labels, w, 0.0), self.starts)
        total = np.add.reduceat(w, self.starts)
        return pos, total - pos


def auc_from_counts(pos: NDArray[np.float64], neg: NDArray[np.float64], name: str) -> float:
    n_pos, n_neg = float(pos.sum()), float(neg.sum())
    require_both_classes(n_pos, n_neg, name)
    neg_below = np.cumsum(neg) - neg
    return float(np.dot(pos, neg_below + 0.5 * neg) / (n_pos * n_neg))


def roc_auc_score(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """ROC AUC with ties counted half (Mann-Whitney U / (P*N)); equals sklearn's roc_auc_score.

    Unweighted, it sorts positives and negatives separately and counts with two binary searches:
    integer counts keep it exact and avoid the full argsort that dominates scikit-learn's time.

    >>> roc_auc_score([0, 1], [0.5, 0.5])
    0.5
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "roc_auc_score")
    if weights is not None:
        return auc_from_counts(*SortedScores(labels, scores).counts(weights), "roc_auc_score")
    pos = np.sort(scores[labels])
    neg = np.sort(scores[~labels])
    require_both_classes(pos.size, neg.size, "roc_auc_score")
    below = int(np.searchsorted(neg, pos, side="left").sum(dtype=np.int64))
    below_or_tied = int(np.searchsorted(neg, pos, side="right").sum(dtype=np.int64))
    # (below + tied / 2) / (P N) in exact integer arithmetic, one rounding at the end
    return (below + below_or_tied) / (2 * pos.size * neg.size)


def _descending_cumulative(
    labels: NDArray[np.bool_], scores: NDArray[np.float64], weights: NDArray[np.float64] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cumulative (true positives, false positives) as the threshold walks down distinct scores."""
    pos, neg = SortedScores(labels, scores).counts(weights)
    return np.cumsum(pos[::-1]), np.cumsum(neg[::-1])


def average_precision_score(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Step-wise AP, sum over thresholds of (R_k - R_k-1) * P_k, as sklearn's.

    >>> average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.8333333333333333
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "average_precision")
    tps, fps = _descending_cumulative(labels, scores, weights)
    if tps[-1] <= 0:
        raise ValueError("average_precision is undefined when y_true holds no positives (1)")
    predicted = tps + fps
    # a threshold whose samples all weigh 0 adds no recall; its precision term must not be NaN
    precision = np.divide(tps, predicted, out=np.zeros_like(tps), where=predicted > 0)
    recall_step = np.diff(tps, prepend=0.0) / tps[-1]
    return float(np.dot(recall_step, precision))


def equal_error_rate(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """The rate where FPR = FNR on the ROC, linearly interpolated between the bracketing points.

    >>> equal_error_rate([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "equal_error_rate")
    tps, fps = _descending_cumulative(labels, scores, weights)
    require_both_classes(tps[-1], fps[-1], "equal_error_rate")
    fpr = np.concatenate(([0.0], fps / fps[-1]))
    tpr = np.concatenate(([0.0], tps / tps[-1]))
    gap = fpr + tpr - 1.0  # FPR - FNR: -1 at the origin, +1 at (1, 1), never decreasing
    i = int(np.argmax(gap >= 0.0))
    if gap[i] == 0.0:
        return float(fpr[i])
    t = -gap[i - 1] / (gap[i] - gap[i - 1])
    return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))


def accuracy_score(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    threshold: float = THRESHOLD,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Accuracy of the decisions ``score > threshold``.

    >>> accuracy_score([0, 0, 1, 1], [0.1, 0.6, 0.5, 0.8])
    0.5
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "accuracy")
    correct = (scores > threshold) == labels
    return float(np.average(correct, weights=weights))


def f1_score(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    threshold: float = THRESHOLD,
    sample_weight: ArrayLike | None = None,
) -> float:
    """F1 of the decisions ``score > threshold``; undefined (ValueError) with no positive at all.

    >>> f1_score([0, 0, 1, 1], [0.1, 0.6, 0.5, 0.8])
    0.5
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "f1")
    w = np.ones(labels.size) if weights is None else weights
    predicted = scores > threshold
    tp = float(w[predicted & labels].sum())
    fp = float(w[predicted & ~labels].sum())
    fn = float(w[~predicted & labels].sum())
    if 2 * tp + fp + fn == 0:
        raise ValueError("f1 is undefined with no positive label and no positive decision")
    return 2 * tp / (2 * tp + fp + fn)


def log_loss(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    eps: float = LOG_LOSS_EPS,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Mean negative log-likelihood (natural log), scores clipped to [eps, 1 - eps].

    >>> round(log_loss([0, 1], [0.5, 0.5]), 6)
    0.693147
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "log_loss")
    p = np.clip(scores, eps, 1.0 - eps)
    losses = -np.where(labels, np.log(p), np.log1p(-p))
    return float(np.average(losses, weights=weights))


def tpr_at_fpr(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    max_fpr: float,
    sample_weight: ArrayLike | None = None,
) -> float:
    """True positive rate at false positive rate ``max_fpr``, linearly interpolated on the ROC.

    The ROC's points (one per distinct score, from (0, 0)) are joined by straight lines; where
    the curve rises vertically at exactly ``max_fpr``, the highest TPR there counts (the best
    operating point whose FPR does not exceed it), as face-anti-spoofing and DFDC-style
    reporting read "TPR @ FPR = 1%".

    >>> tpr_at_fpr([0, 0, 0, 0, 1, 1], [0.1, 0.2, 0.3, 0.9, 0.8, 0.95], max_fpr=0.25)
    1.0
    >>> tpr_at_fpr([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], max_fpr=0.25)
    0.5
    """
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"tpr_at_fpr: max_fpr must lie in [0, 1], got {max_fpr!r}")
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "tpr_at_fpr")
    tps, fps = _descending_cumulative(labels, scores, weights)
    require_both_classes(tps[-1], fps[-1], "tpr_at_fpr")
    fpr = np.concatenate(([0.0], fps / fps[-1]))
    tpr = np.concatenate(([0.0], tps / tps[-1]))
    i = int(np.searchsorted(fpr, max_fpr, side="right"))  # first point beyond max_fpr
    if i >= fpr.size:
        return float(tpr[-1])
    a = i - 1  # the last point with fpr <= max_fpr: the highest TPR on a vertical run
    t = (max_fpr - fpr[a]) / (fpr[i] - fpr[a])
    return float(tpr[a] + t * (tpr[i] - tpr[a]))


def balanced_accuracy_score(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    threshold: float = THRESHOLD,
    sample_weight: ArrayLike | None = None,
) -> float:
    """(TPR + TNR) / 2 of the decisions ``score > threshold``; equals sklearn's.

    >>> balanced_accuracy_score([0, 0, 0, 1], [0.1, 0.2, 0.9, 0.8])
    0.8333333333333333
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "balanced_accuracy")
    w = np.ones(labels.size) if weights is None else weights
    positives, negatives = float(w[labels].sum()), float(w[~labels].sum())
    require_both_classes(positives, negatives, "balanced_accuracy")
    predicted = scores > threshold
    tpr = float(w[predicted & labels].sum()) / positives
    tnr = float(w[~predicted & ~labels].sum()) / negatives
    return (tpr + tnr) / 2


ECE_BINS = 15


def expected_calibration_error(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    n_bins: int = ECE_BINS,
    sample_weight: ArrayLike | None = None,
) -> float:
    """ECE of the score as P(fake): 15 equal-width bins on [0, 1], sum over bins of
    (share of samples) x |fraction of fakes - mean score|. Bins as scikit-learn's
    ``calibration_curve(strategy="uniform")``: a score on an inner edge joins the lower bin.

    >>> expected_calibration_error([0, 1, 1, 1], [0.0, 1.0, 1.0, 1.0])
    0.0
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.8, 0.8, 0.8, 0.8]), 6)
    0.3
    """
    if n_bins < 1:
        raise ValueError(f"expected_calibration_error: n_bins must be >= 1, got {n_bins}")
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "ece")
    if (scores < 0).any() or (scores > 1).any():
        raise ValueError("ece: scores must lie in [0, 1]")
    w = np.ones(labels.size) if weights is None else weights
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.searchsorted(edges[1:-1], scores, side="left")
    total = np.bincount(bins, w, minlength=n_bins)
    fakes = np.bincount(bins, np.where(labels, w, 0.0), minlength=n_bins)
    score_sum = np.bincount(bins, w * scores, minlength=n_bins)
    return float(np.abs(fakes - score_sum).sum() / total.sum())


def brier_score(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Mean squared difference between the score and the label (lower is better).

    >>> brier_score([0, 1], [0.25, 0.5])
    0.15625
    """
    labels, scores, weights = check_binary(y_true, y_score, sample_weight, "brier")
    return float(np.average((scores - labels) ** 2, weights=weights))


__all__ = [
    "SortedScores",
    "accuracy_score",
    "average_precision_score",
    "balanced_accuracy_score",
    "brier_score",
    "equal_error_rate",
    "expected_calibration_error",
    "f1_score",
    "log_loss",
    "roc_auc_score",
    "tpr_at_fpr",
]

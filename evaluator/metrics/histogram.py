"""Pixel metrics from 256-bin joint histograms (protocol §4, localization).

Masks are 8-bit, so a (ground-truth class x predicted value) table of 2 x 256 counts holds
everything F1, IoU and the exact ROC AUC need: no pixel is ever sorted, and a whole image reduces
to 512 integers in one pass. Ground truth is positive iff v >= 128; a pixel is predicted positive
iff v/255 > 0.5, i.e. v >= 128.

>>> gt = np.array([[0, 255], [255, 0]], dtype=np.uint8)
>>> pred = np.array([[10, 200], [100, 0]], dtype=np.uint8)
>>> pixel_f1_score(gt, pred), pixel_auc_score(gt, pred)
(0.6666666666666666, 1.0)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from evaluator.metrics._checks import require_both_classes

CUT = 128  # first 8-bit value that counts as positive, for predictions and ground truth alike
Histogram = NDArray[np.int64]  # shape (2, 256): [0] authentic pixels, [1] manipulated pixels


def value_histogram(values: NDArray[np.uint8]) -> NDArray[np.int64]:
    """256-bin histogram of a C-contiguous uint8 array, counting two pixels per step.

    ``np.bincount`` widens its input to intp; reading pixels pairwise as uint16 halves that
    traffic and the number of increments, which makes this ~2x faster than a plain bincount.
    """
    flat = values.reshape(-1)
    hist = np.zeros(256, dtype=np.int64)
    if flat.size % 2:
        hist[flat[-1]] += 1
        flat = flat[:-1]
    if flat.size:
        pairs = np.bincount(flat.view(np.uint16), minlength=65536).reshape(256, 256)
        hist += pairs.sum(axis=0) + pairs.sum(axis=1)
    return hist


def joint_histogram(y_true: NDArray[np.generic], y_score: NDArray[np.uint8]) -> Histogram:
    """Counts of predicted values per ground-truth class: ``h[c, v]``, c = (truth >= 128).

    ``y_true`` is an 8-bit (or bool) ground-truth mask, ``y_score`` an 8-bit predicted mask of the
    same shape.
    """
    score = np.ascontiguousarray(y_score)
    if score.dtype != np.uint8:
        raise ValueError(f"joint_histogram: y_score must be uint8, got {score.dtype}")
    truth = np.asarray(y_true)
    if truth.shape != score.shape:
        raise ValueError(f"joint_histogram: shapes differ, {truth.shape} vs {score.shape}")
    if score.ndim == 0:
        raise ValueError("joint_histogram: masks must have at least one dimension")
    positive = truth if truth.dtype == np.bool_ else truth >= CUT
    rows = np.flatnonzero(positive.reshape(len(positive), -1).any(axis=1))
    total = value_histogram(score)
    hist = np.zeros((2, 256), dtype=np.int64)
    if rows.size:
        # only rows that hold a manipulated pixel: masks are blobs, this is often a small band
        band = slice(int(rows[0]), int(rows[-1]) + 1)
        band_positive = np.ascontiguousarray(positive[band])
        kept = np.multiply(score[band], band_positive, dtype=np.uint8)
        hist[1] = value_histogram(kept)
        # zeros in ``kept`` are authentic pixels of the band plus manipulated pixels scored 0
        hist[1, 0] -= kept.size - int(np.count_nonzero(band_positive))
    hist[0] = total - hist[1]
    return hist


def confusion(hist: Histogram) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) pixel counts at the 0.5 rule."""
    tp = int(hist[1, CUT:].sum())
    fn = int(hist[1, :CUT].sum())
    fp = int(hist[0, CUT:].sum())
    tn = int(hist[0, :CUT].sum())
    return tp, fp, fn, tn


def histogram_f1(hist: Histogram, *, empty: float | None = None) -> float:
    """Pixel F1 = 2TP / (2TP + FP + FN); with nothing positive anywhere, ``empty`` or ValueError."""
    tp, fp, fn, _ = confusion(hist)
    if tp + fp + fn == 0:
        if empty is None:
            raise ValueError("pixel F1 is undefined: no positive pixel in truth or prediction")
        return empty
    return 2 * tp / (2 * tp + fp + fn)


def histogram_iou(hist: Histogram, *, empty: float | None = None) -> float:
    """Pixel IoU = TP / (TP + FP + FN); with nothing positive anywhere, ``empty`` or ValueError."""
    tp, fp, fn, _ = confusion(hist)
    if tp + fp + fn == 0:
        if empty is None:
            raise ValueError("pixel IoU is undefined: no positive pixel in truth or prediction")
        return empty
    return tp / (tp + fp + fn)


def histogram_auc(hist: Histogram) -> float:
    """Exact pixel ROC AUC, ties counted half: sum over values of pos[v] * (neg below v + neg[v]/2).

    Sums of products of integer counts stay exact in float64 up to 2**53 per term; the ratio is
    rounded once.
    """
    neg = hist[0].astype(np.float64)
    pos = hist[1].astype(np.float64)
    n_neg, n_pos = float(neg.sum()), float(pos.sum())
    require_both_classes(n_pos, n_neg, "pixel AUC")
    twice_below = 2.0 * (np.cumsum(neg) - neg) + neg
    return float(np.dot(pos, twice_below) / (2.0 * n_pos * n_neg))


def best_threshold_f1(hists: NDArray[np.int64]) -> NDArray[np.float64]:
    """Per image (``hists`` of shape (n, 2, 256)), the pixel F1 at its own best threshold.

    Every cut t = 1 .. 256 (predicted positive iff v >= t; 256: nothing) is tried and the best
    F1 kept. This is an *optimistic* figure: the threshold is chosen on the ground truth of the
    very image it scores, which no deployed method can do. NaN where the truth has no positive.
    """
    hists = np.asarray(hists, dtype=np.int64).reshape(-1, 2, 256)
    # predicted positive at cut t: values t..255; reversed cumulative sums give all cuts at once
    tp = np.cumsum(hists[:, 1, ::-1], axis=1)[:, ::-1][:, 1:]  # cuts 1..255
    fp = np.cumsum(hists[:, 0, ::-1], axis=1)[:, ::-1][:, 1:]
    positives = hists[:, 1].sum(axis=1, keepdims=True)
    denominator = tp + fp + positives  # 2TP + FP + FN = TP + FP + P
    with np.errstate(divide="ignore", invalid="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    best = f1.max(axis=1)  # cut 256 (nothing predicted) scores 0, never above these
    return np.where(positives[:, 0] > 0, best, np.nan)


def max_value(hist: Histogram) -> int:
    """Largest predicted value present (the image score when none is given is this / 255)."""
    present = np.flatnonzero(hist.sum(axis=0))
    return int(present[-1]) if present.size else 0


def pixel_f1_score(y_true: NDArray[np.generic], y_score: NDArray[np.uint8]) -> float:
    """F1 of one predicted mask against one ground-truth mask."""
    return histogram_f1(joint_histogram(y_true, y_score))


def pixel_iou_score(y_true: NDArray[np.generic], y_score: NDArray[np.uint8]) -> float:
    """IoU of one predicted mask against one ground-truth mask."""
    return histogram_iou(joint_histogram(y_true, y_score))


def pixel_auc_score(y_true: NDArray[np.generic], y_score: NDArray[np.uint8]) -> float:
    """ROC AUC of one predicted mask's pixels against one ground-truth mask."""
    return histogram_auc(joint_histogram(y_true, y_score))

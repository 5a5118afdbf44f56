"""Deployment metrics against scikit-learn (or a brute force on raw pixels), to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve

from evaluator.metrics import binary, histogram
from evaluator.metrics.tables import DetectionTable, LocalizationTable
from tests.evaluator.metrics.test_tables import masks

TOL = 1e-9


def _data(seed: int, n: int, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    scores = rng.random(n)
    if ties:
        scores = scores.round(1)
    return labels, scores


def _reference_tpr(labels: np.ndarray, scores: np.ndarray, x: float) -> float:
    fpr, tpr, _ = sk.roc_curve(labels, scores, drop_intermediate=False)
    fpr, tpr = np.r_[0.0, fpr], np.r_[0.0, tpr]
    if np.isclose(fpr, x, rtol=0, atol=1e-15).any():
        return float(tpr[np.isclose(fpr, x, rtol=0, atol=1e-15)].max())
    below = np.flatnonzero(fpr < x)[-1]
    above = np.flatnonzero(fpr > x)[0]
    t = (x - fpr[below]) / (fpr[above] - fpr[below])
    return float(tpr[below:above].max() + t * (tpr[above] - tpr[below:above].max()))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 400), st.booleans())
def test_agree_with_scikit_learn(seed: int, n: int, ties: bool) -> None:
    labels, scores = _data(seed, n, ties)
    for x in (0.001, 0.01, 0.1, 0.5, 1.0, 0.0):
        ours = binary.tpr_at_fpr(labels, scores, max_fpr=x)
        assert abs(ours - _reference_tpr(labels, scores, x)) < TOL, x
    assert (
        abs(
            binary.balanced_accuracy_score(labels, scores)
            - sk.balanced_accuracy_score(labels, scores > 0.5)
        )
        < TOL
    )
    assert abs(binary.brier_score(labels, scores) - sk.brier_score_loss(labels, scores)) < TOL
    prob_true, prob_pred = calibration_curve(labels, scores, n_bins=15, strategy="uniform")
    bins = np.searchsorted(np.linspace(0, 1, 16)[1:-1], scores)
    counts = np.bincount(bins, minlength=15)
    reference = float(np.sum(counts[counts > 0] / n * np.abs(prob_true - prob_pred)))
    assert abs(binary.expected_calibration_error(labels, scores) - reference) < TOL


def test_tpr_at_fpr_on_a_known_curve() -> None:
    # 1000 negatives scored 0..0.999, 10 positives above all but the 5 highest negatives.
    negatives = np.arange(1000) / 1000
    positives = np.full(10, 0.9945)
    labels = np.r_[np.zeros(1000), np.ones(10)]
    scores = np.r_[negatives, positives]
    assert binary.tpr_at_fpr(labels, scores, max_fpr=0.01) == 1.0  # FPR 0.5% reaches them all
    assert binary.tpr_at_fpr(labels, scores, max_fpr=0.001) == 0.0
    with pytest.raises(ValueError, match="max_fpr"):
        binary.tpr_at_fpr(labels, scores, max_fpr=1.5)


def test_perfect_calibration_and_a_confident_wrong_model() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(200_000)
    y = (rng.random(p.size) < p).astype(int)  # labels drawn at exactly the stated rate
    assert binary.expected_calibration_error(y, p) < 0.01
    assert binary.expected_calibration_error([0, 1], [1.0, 0.0]) == 1.0


def test_frame_tracks_report_each_at_video_level_too() -> None:
    table = DetectionTable(
        ["a0", "a1", "b0", "b1", "c0", "c1"],
        [0, 0, 1, 1, 1, 1],
        [0.1, 0.3, 0.7, 0.9, 0.4, 0.2],
        ["a", "a", "b", "b", "c", "c"],
    )
    videos = np.array([0, 1, 1]), np.array([0.2, 0.8, 0.3])
    assert table.compute("video_bacc") == sk.balanced_accuracy_score(videos[0], videos[1] > 0.5)
    assert table.compute("video_brier") == pytest.approx(sk.brier_score_loss(*videos))
    assert table.compute("video_tpr@fpr0.01") == pytest.approx(1.0)


def test_localization_map_scores_and_the_optimistic_f1() -> None:
    rng = np.random.default_rng(7)
    truths, preds = masks(rng, 40)
    hists = [histogram.joint_histogram(t, p) for t, p in zip(truths, preds, strict=True)]
    labels = np.array([int((t >= 128).any()) for t in truths])
    line_scores = rng.random(40)  # a score on each line: the image_* columns use it
    table = LocalizationTable([f"i{k}" for k in range(40)], labels, hists, line_scores)
    maxima = np.array([p.max() / 255 for p in preds])
    assert abs(table.compute("map_image_auc") - sk.roc_auc_score(labels, maxima)) < TOL
    assert abs(table.compute("image_auc") - sk.roc_auc_score(labels, line_scores)) < TOL
    assert table.compute("map_image_f1") == pytest.approx(sk.f1_score(labels, maxima > 0.5))
    assert table.compute("map_image_acc") == pytest.approx(sk.accuracy_score(labels, maxima > 0.5))
    # Brute force: every threshold on the raw pixels, the best F1 per manipulated image.
    best = []
    for truth, pred in zip(truths, preds, strict=True):
        gt = (truth >= 128).ravel()
        if not gt.any():
            continue
        best.append(
            max(sk.f1_score(gt, pred.ravel() >= t, zero_division=0.0) for t in range(1, 257))
        )
    optimistic, fixed = table.compute("optimistic_pixel_f1"), table.compute("pixel_f1")
    assert optimistic is not None and fixed is not None
    assert abs(optimistic - float(np.mean(best))) < TOL
    assert optimistic >= fixed

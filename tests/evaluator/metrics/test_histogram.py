"""Pixel metrics from histograms equal scikit-learn's on the raw pixels, to 1e-9."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn import metrics as sk

from evaluator.metrics import histogram

TOL = 1e-9
shapes = st.tuples(st.integers(1, 17), st.integers(1, 17))


@st.composite
def mask_pair(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    shape = draw(shapes)
    values = st.sampled_from([0, 1, 127, 128, 200, 255]) | st.integers(0, 255)
    truth = draw(arrays(np.uint8, shape, elements=values))
    pred = draw(arrays(np.uint8, shape, elements=values))
    return truth, pred


@settings(max_examples=300, deadline=None)
@given(mask_pair())
def test_joint_histogram_counts_every_pixel(pair: tuple[np.ndarray, np.ndarray]) -> None:
    truth, pred = pair
    h = histogram.joint_histogram(truth, pred)
    positive = truth >= 128
    assert np.array_equal(h[1], np.bincount(pred[positive], minlength=256))
    assert np.array_equal(h[0], np.bincount(pred[~positive], minlength=256))


@settings(max_examples=300, deadline=None)
@given(mask_pair())
def test_pixel_metrics_match_sklearn(pair: tuple[np.ndarray, np.ndarray]) -> None:
    truth, pred = pair
    y = (truth >= 128).ravel()
    decided = (pred >= 128).ravel()
    assume(y.any())
    assert abs(histogram.pixel_f1_score(truth, pred) - sk.f1_score(y, decided)) < TOL
    assert abs(histogram.pixel_iou_score(truth, pred) - sk.jaccard_score(y, decided)) < TOL
    if not y.all():
        raw = pred.ravel().astype(np.float64) / 255.0
        assert abs(histogram.pixel_auc_score(truth, pred) - sk.roc_auc_score(y, raw)) < TOL


def test_large_mask_auc_is_exact() -> None:
    rng = np.random.default_rng(3)
    truth = (rng.random((513, 511)) < 0.2).astype(np.uint8) * 255
    pred = rng.integers(0, 256, truth.shape, dtype=np.uint8)
    expected = sk.roc_auc_score((truth >= 128).ravel(), pred.ravel())
    assert abs(histogram.pixel_auc_score(truth, pred) - expected) < TOL


def test_undefined_cases_raise_or_use_the_stated_rule() -> None:
    empty = np.zeros((4, 4), dtype=np.uint8)
    h = histogram.joint_histogram(empty, empty)
    with pytest.raises(ValueError, match="undefined"):
        histogram.histogram_f1(h)
    assert histogram.histogram_iou(h, empty=1.0) == 1.0
    with pytest.raises(ValueError, match="only"):
        histogram.histogram_auc(h)


def test_empty_prediction_on_manipulated_image_scores_zero() -> None:
    truth = np.full((4, 4), 255, dtype=np.uint8)
    assert histogram.pixel_f1_score(truth, np.zeros_like(truth)) == 0.0


def test_rejects_non_uint8_predictions_and_shape_mismatch() -> None:
    with pytest.raises(ValueError, match="uint8"):
        histogram.joint_histogram(np.zeros(4, np.uint8), np.zeros(4, np.uint16))
    with pytest.raises(ValueError, match="shapes"):
        histogram.joint_histogram(np.zeros(4, np.uint8), np.zeros(5, np.uint8))


def test_max_value() -> None:
    h = histogram.joint_histogram(np.zeros(3, np.uint8), np.array([3, 9, 7], np.uint8))
    assert histogram.max_value(h) == 9

"""Binary metrics equal scikit-learn's (or an independent reference) to 1e-9, ties included."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from evaluator.metrics import binary

TOL = 1e-9


@st.composite
def labelled_scores(draw: st.DrawFn, both: bool = True) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1 if not both else 2, 60))
    labels = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    if both:
        assume(0 < labels.sum() < n)
    # a small grid of values produces ties; "constant" makes every score equal
    kind = draw(st.sampled_from(["grid", "float", "constant"]))
    if kind == "grid":
        scores = np.array(
            draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=n, max_size=n))
        )
    elif kind == "float":
        scores = np.array(draw(st.lists(st.floats(1e-6, 1 - 1e-6), min_size=n, max_size=n)))
    else:
        scores = np.full(n, draw(st.floats(0.01, 0.99)))
    return labels, scores


@settings(max_examples=300, deadline=None)
@given(labelled_scores())
def test_auc_ap_acc_log_loss_match_sklearn(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = data
    assert abs(binary.roc_auc_score(y, s) - sk.roc_auc_score(y, s)) < TOL
    assert abs(binary.average_precision_score(y, s) - sk.average_precision_score(y, s)) < TOL
    assert abs(binary.accuracy_score(y, s) - sk.accuracy_score(y, s > 0.5)) < TOL
    clipped = np.clip(s, 1e-15, 1 - 1e-15)
    assert abs(binary.log_loss(y, s) - sk.log_loss(y, clipped, labels=[0, 1])) < TOL
    assert abs(binary.f1_score(y, s) - sk.f1_score(y, s > 0.5, zero_division=0)) < TOL


def _reference_eer(y: np.ndarray, s: np.ndarray) -> float:
    """Walk sklearn's full ROC and interpolate where FPR crosses FNR."""
    fpr, tpr, _ = sk.roc_curve(y, s, drop_intermediate=False)
    fnr = 1 - tpr
    for i in range(1, len(fpr)):
        if fpr[i] >= fnr[i]:
            d0, d1 = fpr[i - 1] - fnr[i - 1], fpr[i] - fnr[i]
            t = 0.0 if d1 == d0 else -d0 / (d1 - d0)
            return float(fpr[i - 1] + t * (fpr[i] - fpr[i - 1]))
    raise AssertionError("no crossing")


@settings(max_examples=300, deadline=None)
@given(labelled_scores())
def test_eer_matches_interpolated_roc(data: tuple[np.ndarray, np.ndarray]) -> None:
    y, s = data
    eer = binary.equal_error_rate(y, s)
    assert abs(eer - _reference_eer(y, s)) < TOL
    assert 0.0 <= eer <= 1.0


@settings(max_examples=200, deadline=None)
@given(labelled_scores(), st.data())
def test_integer_weights_equal_repeated_samples(data, draw) -> None:  # type: ignore[no-untyped-def]
    y, s = data
    w = np.array(draw.draw(st.lists(st.integers(0, 3), min_size=y.size, max_size=y.size)))
    repeated_y, repeated_s = np.repeat(y, w), np.repeat(s, w)
    assume(0 < repeated_y.sum() < repeated_y.size)
    for name in ("roc_auc_score", "average_precision_score", "equal_error_rate", "log_loss"):
        function = getattr(binary, name)
        weighted = function(y, s, sample_weight=w)
        assert abs(weighted - function(repeated_y, repeated_s)) < TOL, name


def test_auc_is_order_invariant_and_exact_on_large_ties() -> None:
    rng = np.random.default_rng(0)
    y = rng.random(100_000) < 0.1
    s = np.round(rng.random(y.size), 2)
    perm = rng.permutation(y.size)
    assert binary.roc_auc_score(y, s) == binary.roc_auc_score(y[perm], s[perm])
    assert abs(binary.roc_auc_score(y, s) - sk.roc_auc_score(y, s)) < TOL


@pytest.mark.parametrize(
    "function",
    [binary.roc_auc_score, binary.equal_error_rate],
)
@pytest.mark.parametrize("label", [0, 1])
def test_single_class_is_a_clear_error(function, label: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="only"):
        function([label] * 4, [0.1, 0.2, 0.3, 0.4])


def test_average_precision_needs_a_positive() -> None:
    with pytest.raises(ValueError, match="no positives"):
        binary.average_precision_score([0, 0], [0.1, 0.2])
    assert binary.average_precision_score([1, 1], [0.1, 0.2]) == 1.0


@pytest.mark.parametrize(
    ("y", "s", "message"),
    [
        ([0, 2], [0.1, 0.2], "0 or 1"),
        ([0, 1], [0.1], "labels but"),
        ([0, 1], [0.1, float("nan")], "non-finite"),
        ([], [], "no samples"),
    ],
)
def test_bad_inputs_name_the_problem(y: list[int], s: list[float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        binary.roc_auc_score(y, s)


def test_decision_rule_is_strictly_above_one_half() -> None:
    assert binary.accuracy_score([0, 1], [0.5, 0.5000001]) == 1.0
    assert binary.log_loss([1], [0.0]) == pytest.approx(-np.log(1e-15))

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_curve, roc_curve

from evaluator.metrics.curves import pr_points, roc_points


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.sampled_from([0.0, 0.1, 0.5, 0.5, 0.9, 1.0])),
        min_size=2,
        max_size=40,
    )
)
def test_curves_match_scikit_learn(pairs: list[tuple[bool, float]]) -> None:
    labels = np.array([p[0] for p in pairs], dtype=int)
    scores = np.array([p[1] for p in pairs])
    if labels.min() == labels.max():
        with pytest.raises(ValueError):
            roc_points(labels, scores)
        return
    fpr, tpr = roc_points(labels, scores)
    ref_fpr, ref_tpr, _ = roc_curve(labels, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, ref_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, ref_tpr, atol=1e-12)
    recall, precision = pr_points(labels, scores)
    ref_precision, ref_recall, _ = precision_recall_curve(labels, scores)
    # scikit-learn lists low thresholds first and appends (recall 0, precision 1).
    np.testing.assert_allclose(recall, ref_recall[:-1][::-1], atol=1e-12)
    np.testing.assert_allclose(precision, ref_precision[:-1][::-1], atol=1e-12)

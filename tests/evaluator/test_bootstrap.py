from __future__ import annotations

import numpy as np
import pytest

from evaluator.bootstrap import bootstrap_distribution, bootstrap_interval, resample_weights
from evaluator.metrics import DetectionTable, RetrievalTable


def test_weights_are_deterministic_and_sum_to_n() -> None:
    first = list(resample_weights(7, n_resamples=5, seed=1))
    assert all(w.sum() == 7 for w in first)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(first, resample_weights(7, n_resamples=5, seed=1), strict=True)
    )
    assert not all(
        np.array_equal(a, b)
        for a, b in zip(first, resample_weights(7, n_resamples=5, seed=2), strict=True)
    )


def test_interval_brackets_the_estimate_and_narrows_with_more_units() -> None:
    rng = np.random.default_rng(0)

    def width(n: int) -> float:
        hits = (rng.random(n) < 0.6).astype(int)
        table = RetrievalTable([str(i) for i in range(n)], hits, hits.astype(float))
        interval = bootstrap_interval(table, "r@1", n_resamples=300, seed=0)
        assert interval.low is not None and interval.high is not None
        assert interval.low <= table.compute("r@1") <= interval.high  # type: ignore[operator]
        return interval.high - interval.low

    assert width(2000) < width(50)


def test_undefined_resamples_are_counted() -> None:
    table = DetectionTable(["a", "b", "c"], [0, 0, 1], [0.1, 0.2, 0.9])
    values = bootstrap_distribution(table, "auc", n_resamples=200, seed=0)
    assert np.isnan(values).any() and np.isfinite(values).any()
    interval = bootstrap_interval(table, "auc", n_resamples=200, seed=0)
    assert interval.n_valid == int(np.isfinite(values).sum()) < 200


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        next(resample_weights(0, n_resamples=1, seed=0))
    with pytest.raises(ValueError):
        next(resample_weights(3, n_resamples=0, seed=0))

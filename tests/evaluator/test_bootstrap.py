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


def _one_at_a_time(table, metric: str, *, n_resamples: int, seed: int) -> np.ndarray:
    """The reference scheme: one draw of n units per resample, each scored on its own."""
    rng = np.random.default_rng(seed)
    n = len(table.units)
    values = []
    for _ in range(n_resamples):
        weights = np.bincount(rng.integers(0, n, n), minlength=n)
        value = table.compute(metric, weights)
        values.append(np.nan if value is None else value)
    return np.array(values)


@pytest.mark.parametrize(
    ("n", "decimals", "videos", "metric"),
    [
        (500, 12, False, "auc"),  # distinct scores
        (500, 1, False, "auc"),  # many ties
        (9, 1, False, "auc"),  # small: many resamples hold one class only
        (300, 2, True, "auc"),  # frames of drawn videos
        (300, 2, True, "video_auc"),
        (300, 2, False, "ap"),  # no block form: scored resample by resample
    ],
)
def test_block_scoring_is_bit_identical_to_one_resample_at_a_time(
    n: int, decimals: int, videos: bool, metric: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evaluator.bootstrap

    rng = np.random.default_rng(n)
    table = DetectionTable(
        [f"s{i}" for i in range(n)],
        np.arange(n) % 2,
        np.round(rng.random(n), decimals),
        [f"v{i // 4}" for i in range(n)] if videos else None,
    )
    expected = _one_at_a_time(table, metric, n_resamples=250, seed=11)
    got = bootstrap_distribution(table, metric, n_resamples=250, seed=11)
    assert np.array_equal(got, expected, equal_nan=True)  # exact, not approximately
    # Block boundaries do not change the resamples.
    monkeypatch.setattr(evaluator.bootstrap, "BLOCK_CELLS", 7 * len(table.units))
    again = bootstrap_distribution(table, metric, n_resamples=250, seed=11)
    assert np.array_equal(again, expected, equal_nan=True)


@pytest.mark.parametrize("videos", [False, True])
@pytest.mark.parametrize(
    "metric",
    ["tpr@fpr0.01", "tpr@fpr0.001", "bacc", "brier", "ece"]
    + [f"video_{m}" for m in ("tpr@fpr0.01", "bacc", "brier", "ece")],
)
def test_deployment_metrics_in_blocks_agree_with_one_resample_at_a_time(
    metric: str, videos: bool
) -> None:
    if metric.startswith("video_") and not videos:
        pytest.skip("video metrics exist on frame tracks only")
    rng = np.random.default_rng(5)
    n = 400
    table = DetectionTable(
        [f"s{i}" for i in range(n)],
        (np.arange(n) // 4) % 2 if videos else rng.integers(0, 2, n),
        np.round(rng.random(n), 2),
        [f"v{i // 4}" for i in range(n)] if videos else None,
    )
    expected = _one_at_a_time(table, metric, n_resamples=120, seed=3)
    got = bootstrap_distribution(table, metric, n_resamples=120, seed=3)
    assert np.allclose(got, expected, rtol=0, atol=1e-12, equal_nan=True)


def test_weights_come_in_bounded_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    import evaluator.bootstrap
    from evaluator.bootstrap import resample_weight_blocks

    monkeypatch.setattr(evaluator.bootstrap, "BLOCK_CELLS", 100)
    blocks = list(resample_weight_blocks(30, n_resamples=10, seed=0))
    assert [b.shape for b in blocks] == [(3, 30)] * 3 + [(1, 30)]
    assert all((b.sum(axis=1) == 30).all() for b in blocks)

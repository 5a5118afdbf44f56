from __future__ import annotations

import numpy as np
import pytest

from evaluator.metrics import DetectionTable, RetrievalTable
from evaluator.ranking import paired_bootstrap, shared_ranks

rng = np.random.default_rng(0)
N = 400
LABELS = np.arange(N) % 2
IDS = [f"s{i}" for i in range(N)]


def entry(signal: float, noise_seed: int) -> DetectionTable:
    noise = np.random.default_rng(noise_seed).random(N)
    return DetectionTable(IDS, LABELS, np.clip(signal * LABELS + (1 - signal) * noise, 0, 1))


def test_paired_difference_is_significant_only_when_real() -> None:
    strong, weak = entry(0.5, 1), entry(0.05, 2)
    assert paired_bootstrap(strong, weak, "auc", n_resamples=300).significant
    same = entry(0.3, 3)
    tiny = DetectionTable(IDS, LABELS, np.clip(same.scores + 1e-4 * (rng.random(N) - 0.5), 0, 1))
    comparison = paired_bootstrap(same, tiny, "auc", n_resamples=300)
    assert not comparison.significant
    assert comparison.low is not None and comparison.low <= 0 <= comparison.high  # type: ignore[operator]


def test_shared_ranks() -> None:
    a = entry(0.5, 1)
    a_twin = DetectionTable(IDS, LABELS, np.clip(a.scores + 1e-4 * (rng.random(N) - 0.5), 0, 1))
    c = entry(0.05, 2)
    ranks = shared_ranks([("c", c), ("a", a), ("a_twin", a_twin)], n_resamples=300)
    assert [(r.key in ("a", "a_twin"), r.rank) for r in ranks] == [(True, 1), (True, 1), (False, 3)]
    assert ranks[1].shares_rank_with_above and not ranks[2].shares_rank_with_above


def test_lower_is_better_metrics_rank_ascending() -> None:
    a, c = entry(0.5, 1), entry(0.05, 2)
    ranks = shared_ranks([("c", c), ("a", a)], "eer", n_resamples=200)
    assert [r.key for r in ranks] == ["a", "c"]


def test_tables_must_share_the_split() -> None:
    other = RetrievalTable(["q"], [1], [1.0])
    with pytest.raises(ValueError, match="pair"):
        paired_bootstrap(entry(0.5, 1), other, "auc")  # type: ignore[arg-type]
    shorter = DetectionTable(IDS[:10], LABELS[:10], np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match="same split"):
        shared_ranks([("a", entry(0.5, 1)), ("b", shorter)])

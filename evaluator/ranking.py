"""Paired comparisons and shared leaderboard ranks (protocol §4, uncertainty).

Two submissions on the same split are compared on the *same* bootstrap resamples (same units,
same seed, see :mod:`evaluator.bootstrap`): the difference is computed resample by resample, so the
variation both share (an easy or hard draw of images) cancels. A difference is significant when
the 95% percentile interval of the paired differences excludes 0.

Ranks are shared down the board: entries are sorted best first, and an entry whose difference from
the entry directly above is not significant takes that entry's rank; otherwise its rank is its
position (1, 1, 3, ...). To rank stored results, save each submission's table with
``Table.save`` when it is scored and load them with ``evaluator.metrics.load_table``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evaluator.bootstrap import LEVEL, N_RESAMPLES, bootstrap_distribution, percentile_interval
from evaluator.metrics.registry import task_spec
from evaluator.metrics.tables import Table


@dataclass(frozen=True)
class PairedComparison:
    metric: str
    difference: float  # a - b on the full split
    low: float | None  # percentile interval of a - b over the shared resamples
    high: float | None
    significant: bool
    n_valid: int


@dataclass(frozen=True)
class RankedEntry:
    key: str
    value: float | None
    rank: int | None  # None when the metric is undefined for the entry
    shares_rank_with_above: bool
    comparison_with_above: PairedComparison | None


def _check_paired(a: Table, b: Table) -> None:
    if a.task != b.task:
        raise ValueError(f"cannot pair a {a.task} table with a {b.task} table")
    if a.units != b.units:
        raise ValueError("tables are not on the same split: their units differ")


def _compare(
    metric: str, a: float, b: float, dist_a: NDArray[np.float64], dist_b: NDArray[np.float64]
) -> PairedComparison:
    differences = dist_a - dist_b
    bounds = percentile_interval(differences, level=LEVEL)
    n_valid = int(np.isfinite(differences).sum())
    if bounds is None:
        return PairedComparison(metric, a - b, None, None, False, n_valid)
    low, high = bounds
    return PairedComparison(metric, a - b, low, high, low > 0 or high < 0, n_valid)


def paired_bootstrap(
    a: Table, b: Table, metric: str, *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> PairedComparison:
    """Compare two submissions' tables on the same split; ``difference`` is a - b."""
    _check_paired(a, b)
    value_a, value_b = a.compute(metric), b.compute(metric)
    if value_a is None or value_b is None:
        raise ValueError(f"{metric} is undefined for one of the tables")
    dist_a = bootstrap_distribution(a, metric, n_resamples=n_resamples, seed=seed)
    dist_b = bootstrap_distribution(b, metric, n_resamples=n_resamples, seed=seed)
    return _compare(metric, value_a, value_b, dist_a, dist_b)


def shared_ranks(
    entries: Sequence[tuple[str, Table]],
    metric: str | None = None,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
) -> list[RankedEntry]:
    """Rank ``(key, table)`` entries on one split, best first, sharing ranks as described above.

    ``metric`` defaults to the task's primary. Each entry's bootstrap distribution is computed once
    and reused for both of its neighbours. Entries whose metric is undefined come last, unranked.
    Ties in the point value keep the input order.
    """
    if not entries:
        return []
    first = entries[0][1]
    for _, table in entries[1:]:
        _check_paired(first, table)
    spec = task_spec(first.task)
    name = metric or spec.primary
    better = spec.metric(name).higher_is_better
    values = [(key, table, table.compute(name)) for key, table in entries]
    defined = [(key, table, value) for key, table, value in values if value is not None]
    defined.sort(key=lambda item: item[2], reverse=better)  # stable: ties keep input order
    ranked: list[RankedEntry] = []
    previous: tuple[float, NDArray[np.float64], int] | None = None
    for position, (key, table, value) in enumerate(defined, start=1):
        dist = bootstrap_distribution(table, name, n_resamples=n_resamples, seed=seed)
        comparison = None
        rank = position
        if previous is not None:
            above_value, above_dist, above_rank = previous
            comparison = _compare(name, above_value, value, above_dist, dist)
            if not comparison.significant:
                rank = above_rank
        shares = comparison is not None and not comparison.significant
        ranked.append(RankedEntry(key, value, rank, shares, comparison))
        previous = (value, dist, rank)
    ranked.extend(RankedEntry(key, None, None, False, None) for key, _, v in values if v is None)
    return ranked

"""Percentile bootstrap over resampling units (protocol §4, uncertainty).

Resample ``r`` draws ``n`` units with replacement from the ``n`` units of a table; it is
represented by how often each unit was drawn (an integer weight per unit), and every metric is
computed from the weights directly (see :mod:`evaluator.metrics.tables`). The draws depend only on
``(n_units, seed)``, so two submissions scored on the same split see the same resamples: that is
what makes the paired test in :mod:`evaluator.ranking` paired.

>>> from evaluator.metrics import RetrievalTable
>>> table = RetrievalTable(["q1", "q2", "q3", "q4"], [1, 2, 1, 0], [1.0, 0.5, 1.0, 0.0])
>>> bootstrap_interval(table, "r@1", n_resamples=200, seed=0).level
0.95
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evaluator.metrics.tables import Table

N_RESAMPLES = 1000
LEVEL = 0.95


def resample_weights(n_units: int, *, n_resamples: int, seed: int) -> Iterator[NDArray[np.int64]]:
    """Yield, per resample, how many times each unit was drawn (the weights sum to n_units)."""
    if n_units < 1:
        raise ValueError("the bootstrap needs at least one unit")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    for _ in range(n_resamples):
        yield np.bincount(rng.integers(0, n_units, n_units), minlength=n_units)


def bootstrap_distribution(
    table: Table, metric: str, *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> NDArray[np.float64]:
    """The metric on each resample; NaN where it is undefined on that resample.

    A resample can be undefined while the full set is not (AUC on a resample that drew no
    positive video); such resamples are counted, not hidden, in :class:`Interval`.
    """
    values = np.empty(n_resamples)
    weights = resample_weights(len(table.units), n_resamples=n_resamples, seed=seed)
    for r, w in enumerate(weights):
        value = table.compute(metric, w)
        values[r] = np.nan if value is None else value
    return values


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None
    level: float
    n_resamples: int
    n_valid: int  # resamples on which the metric was defined
    seed: int

    def as_list(self) -> list[float] | None:
        if self.low is None or self.high is None:
            return None
        return [self.low, self.high]


def percentile_interval(
    values: NDArray[np.float64], *, level: float = LEVEL
) -> tuple[float, float] | None:
    """Central percentile interval of the finite values (numpy's linear interpolation)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    tail = 100.0 * (1.0 - level) / 2.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_interval(
    table: Table,
    metric: str,
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> Interval:
    """95% percentile bootstrap interval of ``metric``, resampling the table's units."""
    values = bootstrap_distribution(table, metric, n_resamples=n_resamples, seed=seed)
    bounds = percentile_interval(values, level=level)
    low, high = (None, None) if bounds is None else bounds
    n_valid = int(np.isfinite(values).sum())
    return Interval(low, high, level, n_resamples, n_valid, seed)

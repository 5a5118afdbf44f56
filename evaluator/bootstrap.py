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

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from evaluator.metrics.tables import DetectionTable, Table

N_RESAMPLES = 1000
LEVEL = 0.95
# Resamples are drawn and scored in blocks of at most this many unit draws (rows x units):
# one numpy pass per block instead of one Python iteration per resample, in bounded memory.
BLOCK_CELLS = 1 << 20


def resample_weight_blocks(
    n_units: int, *, n_resamples: int, seed: int
) -> Iterator[NDArray[np.int64]]:
    """Yield (rows, n_units) blocks of weights, resample after resample.

    The generator draws ``rows x n_units`` integers at once, which consumes its stream exactly
    as ``rows`` draws of ``n_units`` do: the resamples are those of the one-at-a-time scheme.
    """
    if n_units < 1:
        raise ValueError("the bootstrap needs at least one unit")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be at least 1, got {n_resamples}")
    rng = np.random.default_rng(seed)
    per_block = max(1, BLOCK_CELLS // n_units)
    done = 0
    while done < n_resamples:
        rows = min(per_block, n_resamples - done)
        draws = rng.integers(0, n_units, (rows, n_units))
        draws += (np.arange(rows, dtype=np.int64) * n_units)[:, None]
        yield np.bincount(draws.ravel(), minlength=rows * n_units).reshape(rows, n_units)
        done += rows


def resample_weights(n_units: int, *, n_resamples: int, seed: int) -> Iterator[NDArray[np.int64]]:
    """Yield, per resample, how many times each unit was drawn (the weights sum to n_units)."""
    for block in resample_weight_blocks(n_units, n_resamples=n_resamples, seed=seed):
        yield from block


def _block_auc(labels: NDArray[np.bool_], scores: NDArray[np.float64]) -> BlockMetric:
    """ROC AUC (ties half) of each row of weights: one stable sort, then O(n) per row.

    Integer weights make every partial sum an exact half-integer, so each row's value is the
    one rational number rounded once: bit-identical to the per-resample computation.
    """
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    positive = labels[order]
    starts = np.concatenate(([0], np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]) + 1))

    distinct = len(starts) == len(scores)  # no ties: every sample is its own group

    def compute(weights: NDArray[np.int64]) -> NDArray[np.float64]:
        w = weights[:, order]
        pos = np.where(positive, w, 0)
        neg = w - pos
        if not distinct:
            pos = np.add.reduceat(pos, starts, axis=1)
            neg = np.add.reduceat(neg, starts, axis=1)
        n_pos, n_neg = pos.sum(axis=1), neg.sum(axis=1)
        # twice the Mann-Whitney U: each positive beats the negatives below it, ties count half
        twice_u = np.einsum("ij,ij->i", pos, 2 * (np.cumsum(neg, axis=1) - neg) + neg)
        defined = (n_pos > 0) & (n_neg > 0)
        out = np.full(weights.shape[0], np.nan)
        np.divide(twice_u / 2, (n_pos * n_neg).astype(np.float64), out=out, where=defined)
        return out

    return compute


BlockMetric = Callable[[NDArray[np.int64]], NDArray[np.float64]]


def block_metric(table: Table, metric: str) -> BlockMetric | None:
    """A whole-block computation of ``metric`` where one exists (detection AUC), else None."""
    if not isinstance(table, DetectionTable) or metric not in ("auc", "video_auc"):
        return None
    if metric == "video_auc":
        if table.videos is None:
            return None
        return _block_auc(table.video_labels, table.video_scores)
    auc = _block_auc(table.labels, table.scores)
    index = table.video_index
    if index is None:
        return auc
    return lambda weights: auc(weights[:, index])  # a drawn video brings all its frames


def bootstrap_distribution(
    table: Table, metric: str, *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> NDArray[np.float64]:
    """The metric on each resample; NaN where it is undefined on that resample.

    A resample can be undefined while the full set is not (AUC on a resample that drew no
    positive video); such resamples are counted, not hidden, in :class:`Interval`.
    """
    if metric not in table.metric_names():
        known = ", ".join(table.metric_names())
        raise ValueError(f"unknown {table.task} metric {metric!r}; expected one of {known}")
    fast = block_metric(table, metric)
    parts = []
    for block in resample_weight_blocks(len(table.units), n_resamples=n_resamples, seed=seed):
        if fast is not None:
            parts.append(fast(block))
            continue
        values = np.empty(len(block))
        for r, w in enumerate(block):
            value = table.compute(metric, w)
            values[r] = np.nan if value is None else value
        parts.append(values)
    return np.concatenate(parts)


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

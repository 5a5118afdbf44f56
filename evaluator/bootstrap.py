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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evaluator.metrics import binary
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


BLOCK_DEPLOYMENT = {"tpr@fpr0.01": 0.01, "tpr@fpr0.001": 0.001, "bacc": 0, "brier": 0, "ece": 0}


class _DeploymentBlocks:
    """Every deployment metric of each row of a block, computed together and kept for the
    block (the metrics of one table are asked for one after another on the same block).

    TPR at FPR: one sort of the scores up front, then integer cumulative counts per row.
    Balanced accuracy, Brier and ECE: one matrix product of the weights with per-sample
    indicator columns (class, decision, squared error, ECE bin and its fakes and scores).
    """

    def __init__(self, labels: NDArray[np.bool_], scores: NDArray[np.float64]):
        self.order = np.argsort(-scores, kind="stable")
        sorted_scores = scores[self.order]
        self.positive = labels[self.order]
        change = np.flatnonzero(sorted_scores[1:] != sorted_scores[:-1]) + 1
        self.starts = np.concatenate(([0], change))
        ones = labels.astype(np.float64)
        predicted = scores > binary.THRESHOLD
        # bacc and Brier: four indicator columns and the squared error, one product per block
        self.columns = np.stack(
            [ones, 1 - ones, predicted & labels, ~predicted & ~labels, (scores - ones) ** 2],
            axis=1,
        ).astype(np.float64)
        # ECE: samples grouped by bin once; per row, reduceat over the groups
        edges = np.linspace(0.0, 1.0, binary.ECE_BINS + 1)
        bins = np.searchsorted(edges[1:-1], scores, side="left")
        self.bin_order = np.argsort(bins, kind="stable")
        grouped = bins[self.bin_order]
        self.bin_starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
        self.bin_fake = ones[self.bin_order]
        self.bin_score = scores[self.bin_order]
        # The block last computed, held (not its id: a freed block's id can be reused).
        self._block: NDArray[np.int64] | None = None
        self._values: dict[str, NDArray[np.float64]] = {}

    def values(self, weights: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
        if self._block is not weights:
            self._values = {**self._tpr(weights), **self._sums(weights)}
            self._block = weights
        return self._values

    def _tpr(self, weights: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
        w = weights[:, self.order]
        pos = np.add.reduceat(np.where(self.positive, w, 0), self.starts, axis=1)
        neg = np.add.reduceat(w, self.starts, axis=1) - pos
        tps, fps = np.cumsum(pos, axis=1), np.cumsum(neg, axis=1)
        n_pos, n_neg = tps[:, -1], fps[:, -1]
        defined = (n_pos > 0) & (n_neg > 0)
        rows = np.arange(w.shape[0])
        out = {}
        for name in ("tpr@fpr0.01", "tpr@fpr0.001"):
            max_fpr = BLOCK_DEPLOYMENT[name]
            # points (0, 0) and then one per distinct score: index k of fps is point k + 1
            beyond = (fps <= max_fpr * n_neg[:, None]).sum(axis=1) + 1  # first point beyond
            last = beyond >= fps.shape[1] + 1
            i = np.minimum(beyond, fps.shape[1])
            a = i - 1

            def point(k: NDArray[np.intp], counts: NDArray[np.int64]) -> NDArray[np.float64]:
                taken = counts[rows, np.maximum(k - 1, 0)]
                return np.where(k > 0, taken, 0).astype(np.float64)

            with np.errstate(divide="ignore", invalid="ignore"):
                fpr_a, fpr_i = point(a, fps) / n_neg, point(i, fps) / n_neg
                tpr_a, tpr_i = point(a, tps) / n_pos, point(i, tps) / n_pos
                t = (max_fpr - fpr_a) / (fpr_i - fpr_a)
                value = np.where(last, 1.0, tpr_a + t * (tpr_i - tpr_a))
            out[name] = np.where(defined, value, np.nan)
        return out

    def _sums(self, weights: NDArray[np.int64]) -> dict[str, NDArray[np.float64]]:
        sums = weights.astype(np.float64) @ self.columns
        positives, negatives = sums[:, 0], sums[:, 1]
        total = positives + negatives
        w = weights[:, self.bin_order].astype(np.float64)
        fakes = np.add.reduceat(w * self.bin_fake, self.bin_starts, axis=1)
        score_sum = np.add.reduceat(w * self.bin_score, self.bin_starts, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            bacc = (sums[:, 2] / positives + sums[:, 3] / negatives) / 2
            return {
                "bacc": np.where((positives > 0) & (negatives > 0), bacc, np.nan),
                "brier": sums[:, 4] / total,
                "ece": np.abs(fakes - score_sum).sum(axis=1) / total,
            }


def _detection_block(table: DetectionTable, level: str, name: str) -> BlockMetric:
    labels, scores = (
        (table.video_labels, table.video_scores)
        if level == "video"
        else (table.labels, table.scores)
    )
    if name == "auc":
        return _block_auc(labels, scores)
    cache: dict[str, _DeploymentBlocks] = table.__dict__.setdefault("_deployment_blocks", {})
    if level not in cache:
        cache[level] = _DeploymentBlocks(labels, scores)
    state = cache[level]
    return lambda weights: state.values(weights)[name]


def block_metric(table: Table, metric: str) -> BlockMetric | None:
    """A whole-block computation of ``metric`` where one exists (detection AUC and the
    deployment metrics), else None."""
    name = metric.removeprefix("video_")
    if not isinstance(table, DetectionTable) or (name != "auc" and name not in BLOCK_DEPLOYMENT):
        return None
    if metric.startswith("video_"):
        if table.videos is None:
            return None
        return _detection_block(table, "video", name)
    block = _detection_block(table, "sample", name)
    index = table.video_index
    if index is None:
        return block
    # A drawn video brings all its frames; one expansion per block, shared by the metrics.
    expanded: dict[str, Any] = {"key": None, "value": None}

    def frames(weights: NDArray[np.int64]) -> NDArray[np.float64]:
        if expanded["key"] is not weights:
            expanded["key"], expanded["value"] = weights, weights[:, index]
        return block(expanded["value"])

    return frames


def bootstrap_distributions(
    table: Table, metrics: list[str], *, n_resamples: int = N_RESAMPLES, seed: int = 0
) -> dict[str, NDArray[np.float64]]:
    """Several metrics on the same resamples, drawing each block of weights once."""
    for metric in metrics:
        if metric not in table.metric_names():
            known = ", ".join(table.metric_names())
            raise ValueError(f"unknown {table.task} metric {metric!r}; expected one of {known}")
    fast = {metric: block_metric(table, metric) for metric in metrics}
    parts: dict[str, list[NDArray[np.float64]]] = {metric: [] for metric in metrics}
    for block in resample_weight_blocks(len(table.units), n_resamples=n_resamples, seed=seed):
        for metric in metrics:
            compute = fast[metric]
            if compute is not None:
                parts[metric].append(compute(block))
                continue
            values = np.empty(len(block))
            for r, w in enumerate(block):
                value = table.compute(metric, w)
                values[r] = np.nan if value is None else value
            parts[metric].append(values)
    return {metric: np.concatenate(chunks) for metric, chunks in parts.items()}


def bootstrap_intervals(
    table: Table,
    metrics: list[str],
    *,
    n_resamples: int = N_RESAMPLES,
    seed: int = 0,
    level: float = LEVEL,
) -> dict[str, Interval]:
    """:func:`bootstrap_interval` of several metrics in one pass over the resamples."""
    out = {}
    for metric, values in bootstrap_distributions(
        table, metrics, n_resamples=n_resamples, seed=seed
    ).items():
        bounds = percentile_interval(values, level=level)
        low, high = (None, None) if bounds is None else bounds
        n_valid = int(np.isfinite(values).sum())
        out[metric] = Interval(low, high, level, n_resamples, n_valid, seed)
    return out


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

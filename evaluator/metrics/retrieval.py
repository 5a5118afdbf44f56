"""Retrieval metrics over ranked gallery lists (protocol §4, retrieval).

A query's ranking is scored through two numbers: the 1-based rank of its first relevant gallery id
(0 when none is retrieved) and its average precision. ``r@k`` and ``map`` are means of these.

>>> recall_at_k([{"a"}, {"b"}], [["a", "x"], ["x", "y"]], k=1)
0.5
>>> mean_average_precision([{"a", "b"}], [["a", "x", "b"]])
0.8333333333333333
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

MAX_RANKING = 100


def first_hit(relevant: Collection[str], ranking: Sequence[str]) -> int:
    """1-based position of the first relevant id in ``ranking``, 0 if none is there."""
    for position, item in enumerate(ranking, start=1):
        if item in relevant:
            return position
    return 0


def average_precision_at(relevant: Collection[str], ranking: Sequence[str]) -> float:
    """Sum of precision@i at each relevant hit, divided by the number of relevant ids.

    Relevant ids never retrieved contribute precision 0, so a truncated ranking cannot inflate AP.
    """
    if not relevant:
        raise ValueError("average precision is undefined for a query with no relevant id")
    hits = 0
    total = 0.0
    for position, item in enumerate(ranking, start=1):
        if item in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant)


def _check(relevant: Sequence[Collection[str]], rankings: Sequence[Sequence[str]]) -> None:
    if len(relevant) != len(rankings):
        raise ValueError(f"{len(relevant)} queries but {len(rankings)} rankings")
    if not relevant:
        raise ValueError("no queries")


def recall_at_k(
    relevant: Sequence[Collection[str]], rankings: Sequence[Sequence[str]], *, k: int
) -> float:
    """Fraction of queries with at least one relevant id among the first ``k`` of the ranking."""
    _check(relevant, rankings)
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    hits = [0 < first_hit(r, ranking) <= k for r, ranking in zip(relevant, rankings, strict=True)]
    return sum(hits) / len(hits)


def mean_average_precision(
    relevant: Sequence[Collection[str]], rankings: Sequence[Sequence[str]]
) -> float:
    """Mean over queries of :func:`average_precision_at`."""
    _check(relevant, rankings)
    values = [
        average_precision_at(r, ranking) for r, ranking in zip(relevant, rankings, strict=True)
    ]
    return sum(values) / len(values)

"""Reads behind the leaderboard pages: one row per team (its best result on a split).

Baseline rows are the platform's reference methods: each method keeps its own row.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchmarks.models import Split, Track
from evaluator.metrics.registry import task_spec
from submissions.models import Result, Status


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    team: str
    is_baseline: bool
    method: str
    submission_id: int
    primary: float | None
    interval: tuple[float, float] | None
    metrics: dict[str, Any]
    scored_at: datetime


def metric_columns(results: list[Result], track: Track) -> list[str]:
    """The primary metric first, then the task's other metrics that any row reports."""
    reported = {key for result in results for key in result.metrics}
    names = [spec.name for spec in task_spec(track.task).metrics if spec.name in reported]
    return [track.primary_metric, *(name for name in names if name != track.primary_metric)]


def _sort_key(track: Track) -> Callable[[Result], tuple[bool, float, datetime]]:
    higher_is_better = task_spec(track.task).metric(track.primary_metric).higher_is_better
    sign = -1.0 if higher_is_better else 1.0

    def key(result: Result) -> tuple[bool, float, datetime]:
        value = result.primary_value
        # Undefined values sort last; among equals the earlier submission comes first.
        return (value is None, sign * value if value is not None else 0.0, result.created_at)

    return key


def _entry_key(result: Result) -> tuple[int, str]:
    team = result.submission.team
    return (team.pk, result.submission.method_name if team.is_baseline else "")


def leaderboard_for_split(*, split: Split, track: Track) -> tuple[list[LeaderboardRow], list[str]]:
    results = list(
        Result.objects.filter(split=split, submission__status=Status.FINISHED).select_related(
            "submission", "submission__team"
        )
    )
    best: list[Result] = []
    seen: set[tuple[int, str]] = set()
    for result in sorted(results, key=_sort_key(track)):
        if _entry_key(result) not in seen:
            seen.add(_entry_key(result))
            best.append(result)
    rows: list[LeaderboardRow] = []
    rank = 0
    for position, result in enumerate(best, start=1):
        # Equal numbers share a rank (1, 2, 2, 4), as in competition ranking.
        if position == 1 or result.primary_value != best[position - 2].primary_value:
            rank = position
        interval = (result.metrics.get("ci") or {}).get(track.primary_metric)
        rows.append(
            LeaderboardRow(
                rank=rank,
                team=result.submission.team.name,
                is_baseline=result.submission.team.is_baseline,
                method=result.submission.method_name,
                submission_id=result.submission.pk,
                primary=result.primary_value,
                interval=(interval[0], interval[1]) if interval else None,
                metrics=result.metrics,
                scored_at=result.created_at,
            )
        )
    return rows, metric_columns(best, track)

"""Reads behind the leaderboard pages: one row per team, best result on a split."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchmarks.models import Split, Track
from submissions.models import Result, Status

# Metrics where a smaller number is better; everything else ranks higher-first.
LOWER_IS_BETTER = frozenset({"eer", "log_loss", "video_eer", "video_log_loss"})
REPORT_KEYS = frozenset({"n", "ci", "protocol", "seed", "primary", "task"})


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


def metric_columns(results: list[Result], primary: str) -> list[str]:
    names: set[str] = set()
    for result in results:
        names.update(key for key in result.metrics if key not in REPORT_KEYS)
    names.discard(primary)
    return [primary, *sorted(names)]


def _sort_key(primary: str):  # type: ignore[no-untyped-def]
    sign = 1.0 if primary in LOWER_IS_BETTER else -1.0

    def key(result: Result) -> tuple[bool, float, datetime]:
        value = result.primary_value
        return (value is None, sign * value if value is not None else 0.0, result.created_at)

    return key


def leaderboard_for_split(*, split: Split, track: Track) -> tuple[list[LeaderboardRow], list[str]]:
    results = list(
        Result.objects.filter(split=split, submission__status=Status.FINISHED)
        .select_related("submission", "submission__team")
        .order_by("created_at")
    )
    ordered = sorted(results, key=_sort_key(track.primary_metric))
    best: list[Result] = []
    seen_teams: set[int] = set()
    for result in ordered:
        if result.submission.team_id not in seen_teams:
            seen_teams.add(result.submission.team_id)
            best.append(result)
    rows: list[LeaderboardRow] = []
    previous: float | None = None
    rank = 0
    for position, result in enumerate(best, start=1):
        # Equal numbers share a rank (1, 1, 3), as in competition ranking.
        if result.primary_value != previous or position == 1:
            rank = position
        previous = result.primary_value
        interval = (result.metrics.get("ci") or {}).get(track.primary_metric)
        rows.append(
            LeaderboardRow(
                rank=rank,
                team=result.submission.team.name,
                is_baseline=result.submission.team.is_baseline,
                method=result.submission.method_name,
                submission_id=result.submission.pk,
                primary=result.primary_value,
                interval=tuple(interval) if interval else None,
                metrics=result.metrics,
                scored_at=result.created_at,
            )
        )
    return rows, metric_columns(best, track.primary_metric)

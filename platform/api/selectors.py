"""Reads behind the API: tracks by their public id, leaderboards and exports as data."""

from typing import Any

import pandas as pd
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

import evaluator
from benchmarks.models import Benchmark, Split, Track
from benchmarks.selectors import split_list_for_track
from leaderboards.selectors import leaderboard_for_split, public_part_board
from submissions.disclosure import results_visible_to
from submissions.models import Result, Submission

from .errors import ApiError
from .serializers import row_dict, track_key


def benchmark_list_public() -> QuerySet[Benchmark]:
    return Benchmark.objects.prefetch_related("tracks__splits", "tracks__benchmark")


def track_get_by_key(*, benchmark: str, track: str) -> Track:
    found = (
        Track.objects.select_related("benchmark")
        .prefetch_related("splits")
        .filter(benchmark__slug=benchmark, slug=track)
        .first()
    )
    if found is None:
        raise ApiError("track_not_found", f"no track {benchmark}/{track}", status_code=404)
    return found


def track_get_by_id(*, track_id: str) -> Track:
    benchmark, _, track = track_id.partition("/")
    return track_get_by_key(benchmark=benchmark, track=track)


def split_get(*, track: Track, name: str) -> Split:
    split = track.splits.filter(name=name).first()
    if split is None:
        raise ApiError("split_not_found", f"track {track_key(track)} has no split {name}", 404)
    return split


def leaderboard_data(*, track: Track, split_name: str | None = None) -> dict[str, Any]:
    """Every split's board as the page shows it; hidden splits stay empty until published."""
    splits = split_list_for_track(track=track)
    if split_name is not None:
        splits = [split_get(track=track, name=split_name)]
    boards = []
    for split in splits:
        rows: list[Any] = []
        columns: list[str] = []
        if split.results_visible:
            rows, columns = leaderboard_for_split(split=split, track=track)
        boards.append(
            {
                "split": split.name,
                "visibility": split.visibility,
                "results_visible": split.results_visible,
                "columns": columns,
                "rows": [row_dict(row) for row in rows],
                "public_part": [
                    row_dict(row) for row in public_part_board(split=split, track=track)
                ],
            }
        )
    return {
        "track": track_key(track),
        "task": track.task,
        "primary_metric": track.primary_metric,
        "protocol": evaluator.PROTOCOL_VERSION,
        "splits": boards,
    }


def leaderboard_frame(data: dict[str, Any]) -> pd.DataFrame:
    """One line per (split, entry); metric columns flattened, the primary's interval split."""
    records = []
    for board in data["splits"]:
        primary = board["columns"][0] if board["columns"] else data["primary_metric"]
        for row in board["rows"]:
            interval = row.get("interval") or (None, None)
            record: dict[str, Any] = {
                "split": board["split"],
                "rank": row["rank"],
                "team": row["team"],
                "baseline": row["is_baseline"],
                "method": row["method"],
                "submission": row["submission_id"],
                "chosen_by": row.get("chosen_by", ""),
            }
            if "training_data" in row:
                record["training_data"] = row["training_data"]
            for name in board["columns"]:
                record[name] = row["metrics"].get(name)
            record[f"{primary}_ci_low"], record[f"{primary}_ci_high"] = interval
            record["scored_at"] = row["scored_at"]
            records.append(record)
    return pd.DataFrame.from_records(records)


def submission_get(*, submission_id: int) -> Submission:
    found = (
        Submission.objects.select_related("team", "track__benchmark")
        .filter(pk=submission_id)
        .first()
    )
    if found is None:
        raise ApiError("submission_not_found", f"no submission {submission_id}", 404)
    return found


def submission_visible_results(
    *, submission: Submission, user: User | AnonymousUser
) -> list[Result]:
    """Results the user may see in full (submissions.disclosure; organizers see all)."""
    results = list(submission.results.select_related("split", "split__track"))
    for result in results:
        result.submission = submission
    results.sort(key=lambda r: r.split.visibility)
    return results_visible_to(results=results, user=user)


def submission_frame(submissions: list[Submission]) -> pd.DataFrame:
    return pd.DataFrame.from_records(
        [
            {
                "id": s.pk,
                "team": s.team.slug,
                "track": track_key(s.track),
                "method": s.method_name,
                "training_data": s.training_data,
                "status": s.status,
                "created_at": s.created_at.isoformat(),
                "finished_at": s.finished_at.isoformat() if s.finished_at else None,
                "failure_code": s.failure_code,
            }
            for s in submissions
        ],
        columns=[
            "id",
            "team",
            "track",
            "method",
            "training_data",
            "status",
            "created_at",
            "finished_at",
            "failure_code",
        ],
    )

"""Reads for a benchmark's analytics page: one pandas frame per plot, the same frame its CSV
export writes.

Organizers see everything here, hidden and unpublished results included: the page and its
exports are for them only (the disclosure policy governs what teams and the public see).
Days are UTC days. Every submission to the benchmark's tracks counts, baseline teams' and
reruns included; best scores leave out disqualified submissions and the debug split.

- activity: per day, submissions made and active teams (teams that submitted that day);
- failures: per day the run failed, the number of failed submissions per failure code;
- waits: per submission that started, queued -> running in seconds (the queue wait);
- runtimes: per submission that reached scoring, running -> scoring in seconds (the run time
  of its containers, as ``submissions.queue_status`` measures it for ETAs);
- best scores: per track and ranked split, the best primary value reached by the end of each
  day on which a result was written (higher or lower is better per the metric).
"""

from __future__ import annotations

import math
from datetime import UTC

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from benchmarks.models import Benchmark, Split, Track
from leaderboards.selectors import higher_is_better
from submissions.models import Result, Status, Submission

PLOTS = ("activity", "failures", "waits", "runtimes", "best-scores")


def _day(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True).dt.strftime("%Y-%m-%d")


def _submissions(benchmark: Benchmark) -> QuerySet[Submission]:
    return Submission.objects.filter(track__benchmark=benchmark)


def activity_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    rows = list(_submissions(benchmark).values_list("created_at", "team_id"))
    frame = pd.DataFrame(rows, columns=["created_at", "team_id"])
    if frame.empty:
        return pd.DataFrame({"day": [], "submissions": [], "active_teams": []})
    frame["day"] = _day(frame["created_at"])
    out = frame.groupby("day").agg(
        submissions=("team_id", "size"), active_teams=("team_id", "nunique")
    )
    days = pd.date_range(out.index.min(), out.index.max(), freq="D").strftime("%Y-%m-%d")
    out = out.reindex(days, fill_value=0)
    out.index.name = "day"
    return out.reset_index().astype({"submissions": int, "active_teams": int})


def failures_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    rows = list(
        _submissions(benchmark)
        .filter(status=Status.FAILED)
        .values_list("failed_at", "created_at", "failure_code")
    )
    frame = pd.DataFrame(rows, columns=["failed_at", "created_at", "failure_code"])
    if frame.empty:
        return pd.DataFrame({"day": [], "failure_code": [], "failures": []})
    frame["day"] = _day(frame["failed_at"].fillna(frame["created_at"]))
    frame["failure_code"] = frame["failure_code"].replace("", "unknown")
    out = frame.groupby(["day", "failure_code"]).size().rename("failures").reset_index()
    return out.sort_values(["day", "failure_code"], ignore_index=True)


def waits_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    rows = list(
        _submissions(benchmark)
        .filter(queued_at__isnull=False, running_at__isnull=False)
        .order_by("running_at", "pk")
        .values_list("pk", "track__slug", "queued_at", "running_at")
    )
    frame = pd.DataFrame(rows, columns=["submission", "track", "queued_at", "running_at"])
    frame["wait_seconds"] = (
        pd.to_datetime(frame["running_at"], utc=True) - pd.to_datetime(frame["queued_at"], utc=True)
    ).dt.total_seconds()
    return _iso(frame, ["queued_at", "running_at"])


def runtimes_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    rows = list(
        _submissions(benchmark)
        .filter(running_at__isnull=False, scoring_at__isnull=False)
        .order_by("running_at", "pk")
        .values_list("pk", "track__slug", "running_at", "scoring_at")
    )
    frame = pd.DataFrame(rows, columns=["submission", "track", "running_at", "scoring_at"])
    frame["run_seconds"] = (
        pd.to_datetime(frame["scoring_at"], utc=True)
        - pd.to_datetime(frame["running_at"], utc=True)
    ).dt.total_seconds()
    return _iso(frame, ["running_at", "scoring_at"])


def _iso(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        frame[column] = [value.isoformat() for value in frame[column]]
    return frame


def best_scores_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    columns = ["track", "split", "visibility", "metric", "day", "best", "submission", "team"]
    records = []
    tracks = Track.objects.filter(benchmark=benchmark).order_by("name")
    for track in tracks:
        higher = higher_is_better(track, track.primary_metric)
        rows = list(
            Result.objects.filter(
                split__track=track,
                primary_value__isnull=False,
                submission__disqualified_at__isnull=True,
            )
            .exclude(split__name=Split.DEBUG, split__visibility=Split.Visibility.PUBLIC)
            .order_by("split__name", "created_at", "pk")
            .values_list(
                "split__name",
                "split__visibility",
                "created_at",
                "primary_value",
                "submission_id",
                "submission__team__name",
            )
        )
        best: dict[str, tuple[float, int, str]] = {}
        for split, visibility, created_at, value, submission, team in rows:
            if value is None or not math.isfinite(value):
                continue
            held = best.get(split)
            if held is None or (value > held[0] if higher else value < held[0]):
                held = (value, submission, team)
                best[split] = held
            records.append(
                {
                    "track": track.slug,
                    "split": split,
                    "visibility": visibility,
                    "metric": track.primary_metric,
                    "day": created_at.astimezone(UTC).strftime("%Y-%m-%d"),
                    "best": held[0],
                    "submission": held[1],
                    "team": held[2],
                }
            )
    frame = pd.DataFrame.from_records(records, columns=columns)
    # The standing at the end of each day: the last running best written that day.
    return frame.groupby(["track", "split", "day"], sort=True).tail(1).reset_index(drop=True)


def histogram(values: pd.Series, *, bins: int = 10) -> tuple[list[str], list[int]]:
    """Bin labels ("0 to 12 s") and counts over [0, max] in ``bins`` equal bins."""
    clean = values.dropna().to_numpy(dtype=float)
    if clean.size == 0:
        return [], []
    top = max(float(clean.max()), 1.0)
    counts, edges = np.histogram(clean, bins=bins, range=(0.0, top))
    labels = [f"{_short(edges[i])} to {_short(edges[i + 1])} s" for i in range(len(counts))]
    return labels, [int(c) for c in counts]


def _short(seconds: float) -> str:
    return f"{seconds:.3g}" if seconds < 100 else f"{seconds:.0f}"


def plot_frame(*, benchmark: Benchmark, plot: str) -> pd.DataFrame:
    readers = {
        "activity": activity_frame,
        "failures": failures_frame,
        "waits": waits_frame,
        "runtimes": runtimes_frame,
        "best-scores": best_scores_frame,
    }
    return readers[plot](benchmark=benchmark)

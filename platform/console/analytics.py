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

import numpy as np
import pandas as pd
from django.db.models import QuerySet

from benchmarks.models import Benchmark, Split, Track
from benchmarks.selectors import higher_is_better
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


def _span_frame(benchmark: Benchmark, begin: str, end: str, seconds: str) -> pd.DataFrame:
    """One row per submission that reached both moments, with the seconds between them."""
    rows = list(
        _submissions(benchmark)
        .filter(**{f"{begin}__isnull": False, f"{end}__isnull": False})
        .order_by("running_at", "pk")
        .values_list("pk", "track__slug", begin, end)
    )
    frame = pd.DataFrame(rows, columns=["submission", "track", begin, end])
    frame[seconds] = (
        pd.to_datetime(frame[end], utc=True) - pd.to_datetime(frame[begin], utc=True)
    ).dt.total_seconds()
    return _iso(frame, [begin, end])


def waits_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    return _span_frame(benchmark, "queued_at", "running_at", "wait_seconds")


def runtimes_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    return _span_frame(benchmark, "running_at", "scoring_at", "run_seconds")


def _iso(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Moments as ISO 8601 in UTC with microseconds (one format for every row)."""
    for column in columns:
        moments = pd.to_datetime(frame[column], utc=True)
        frame[column] = moments.dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    return frame


BEST_COLUMNS = ["track", "split", "visibility", "metric", "day", "best", "submission", "team"]


def best_scores_frame(*, benchmark: Benchmark) -> pd.DataFrame:
    parts = []
    for track in Track.objects.filter(benchmark=benchmark).order_by("name"):
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
        frame = pd.DataFrame(
            rows, columns=["split", "visibility", "created_at", "value", "submission", "team"]
        )
        frame = frame[np.isfinite(frame["value"].astype(float))]
        if frame.empty:
            continue
        parts.append(_running_best(frame, track))
    if not parts:
        return pd.DataFrame({column: [] for column in BEST_COLUMNS})
    frame = pd.concat(parts, ignore_index=True)
    # The standing at the end of each day: the last running best written that day.
    return frame.groupby(["track", "split", "day"], sort=True).tail(1).reset_index(drop=True)


def _running_best(frame: pd.DataFrame, track: Track) -> pd.DataFrame:
    """Per split, in the order results were written: the best value so far and the result
    that first reached it (a later equal value does not take it over)."""
    higher = higher_is_better(track, track.primary_metric)
    by_split = frame.groupby("split", sort=False)["value"]
    best = by_split.cummax() if higher else by_split.cummin()
    before = best.groupby(frame["split"], sort=False).shift()
    record = before.isna() | (frame["value"] > before if higher else frame["value"] < before)
    holder = frame[["submission", "team"]].where(record)
    holder = holder.groupby(frame["split"], sort=False).ffill()
    return pd.DataFrame(
        {
            "track": track.slug,
            "split": frame["split"],
            "visibility": frame["visibility"],
            "metric": track.primary_metric,
            "day": _day(frame["created_at"]),
            "best": best,
            "submission": holder["submission"].astype(int),
            "team": holder["team"],
        }
    )


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

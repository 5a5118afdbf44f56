"""Render time of a benchmark's analytics page and its CSV exports, on seeded history.

Seeds N submissions (default 10,000) from 100 teams on two tracks over 90 days (a fresh SQLite
database in a temporary data folder): about one in ten failed with one of four failure codes,
the rest finished with queue waits, run times and a result on a public and a hidden split.
Then renders the page and each CSV export in-process (no server) and reports the median of
``--repeat`` renders.

    .venv/bin/python perf/bench_analytics.py [--submissions 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="fb-bench-analytics-"))
    os.environ.update(
        FORGERYBENCH_DATA_DIR=str(data),
        SECRET_KEY="bench-only",
        DJANGO_SETTINGS_MODULE="forgerybench_site.settings",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    try:
        _run(args.submissions, args.repeat)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _run(n: int, repeat: int) -> None:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.http import HttpResponse
    from django.test import RequestFactory

    from accounts.models import Team
    from benchmarks.models import Benchmark, Split, Track
    from console.views.analytics import console_analytics, console_analytics_csv
    from submissions.models import Result, Status, Submission

    call_command("migrate", verbosity=0)
    bench = Benchmark.objects.create(slug="bench", name="Bench", synthetic=True)
    splits = []
    tracks = []
    for slug in ("image", "video"):
        track = Track.objects.create(
            benchmark=bench, slug=slug, name=slug, task="detection", primary_metric="auc"
        )
        tracks.append(track)
        for name, visibility in (("val", "public"), ("test", "hidden")):
            splits.append(
                Split.objects.create(
                    track=track, name=name, visibility=visibility, inputs_dir="/nonexistent",
                    labels_path="/nonexistent", inputs_sha256="0" * 64, labels_sha256="0" * 64,
                    sample_count=1000,
                )
            )  # fmt: skip
    teams = Team.objects.bulk_create([Team(name=f"team {i}", slug=f"team-{i}") for i in range(100)])
    rng = random.Random(7)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    codes = ("nonzero_exit", "timeout", "bad_output", "image_missing")
    rows: list[Submission] = []
    moments: list[datetime] = []
    for i in range(n):
        at = start + timedelta(seconds=rng.uniform(0, 90 * 86400))
        wait, run = rng.expovariate(1 / 60), rng.uniform(20, 600)
        failed = rng.random() < 0.1
        moments.append(at + timedelta(seconds=wait + run))
        rows.append(
            Submission(
                team=teams[i % len(teams)], track=tracks[i % 2], method_name=f"m{i}",
                training_data="other: bench", image_id="sha256:bench",
                status=Status.FAILED if failed else Status.FINISHED,
                failure_code=rng.choice(codes) if failed else "", queued_at=at,
                running_at=at + timedelta(seconds=wait),
                scoring_at=None if failed else at + timedelta(seconds=wait + run),
                failed_at=at + timedelta(seconds=wait + run) if failed else None,
            )
        )  # fmt: skip
    subs = Submission.objects.bulk_create(rows, batch_size=2000)
    # created_at is auto_now_add: spread it over the 90 days afterwards.
    Submission.objects.bulk_update(
        [
            Submission(pk=s.pk, created_at=at - timedelta(seconds=1))
            for s, at in zip(subs, (r.queued_at or start for r in rows), strict=True)
        ],
        ["created_at"],
        batch_size=2000,
    )
    results = []
    for s, row in zip(subs, rows, strict=True):
        if row.status != Status.FINISHED:
            continue
        for split in splits[(0 if s.track_id == tracks[0].pk else 2) :][:2]:
            auc = rng.uniform(0.5, 0.99)
            results.append(
                Result(submission=s, split=split, metrics={"auc": auc}, primary_value=auc,
                       protocol_version=1, evaluator_version="bench")
            )  # fmt: skip
    Result.objects.bulk_create(results, batch_size=2000)
    created = {s.pk: moment for s, moment in zip(subs, moments, strict=True)}
    Result.objects.bulk_update(
        [Result(pk=r.pk, created_at=created[r.submission_id]) for r in Result.objects.all()],
        ["created_at"],
        batch_size=2000,
    )
    staff = User.objects.create_user("bench-organizer", is_staff=True)
    factory = RequestFactory()

    def timed(view: Callable[..., HttpResponse], *extra: str) -> tuple[float, int]:
        times, size = [], 0
        for _ in range(repeat):
            request = factory.get("/")
            request.user = staff
            begin = time.perf_counter()
            response = view(request, "bench", *extra)
            times.append(time.perf_counter() - begin)
            assert response.status_code == 200, response.status_code
            size = len(response.content)
        return statistics.median(times), size

    print(f"{n} submissions, {len(results)} results, 100 teams, 2 tracks, 90 days")
    print("| what | median of 5 | bytes |")
    print("|---|---|---|")
    seconds, size = timed(console_analytics)
    print(f"| analytics page (8 charts) | {seconds * 1000:.0f} ms | {size:,} |")
    for plot in ("activity", "failures", "waits", "runtimes", "best-scores"):
        seconds, size = timed(console_analytics_csv, plot)
        print(f"| {plot}.csv | {seconds * 1000:.0f} ms | {size:,} |")


if __name__ == "__main__":
    main()

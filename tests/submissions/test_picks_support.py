"""A small hand-made benchmark for the final-picks tests: val, test and an OOD split, one phase."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import timezone

from benchmarks.models import Benchmark, Phase, Split, Track
from submissions.models import Status, Submission
from tests.support import finished_result


def tiny_benchmark(*, task: str = "detection", metric: str = "auc", picks: int = 2):  # type: ignore[no-untyped-def]
    benchmark = Benchmark.objects.create(slug="tiny", name="Tiny")
    track = Track.objects.create(
        benchmark=benchmark, slug="image", name="Image", task=task, primary_metric=metric
    )
    splits = {
        name: Split.objects.create(
            track=track,
            name=name,
            visibility=visibility,
            inputs_dir=f"/nonexistent/{name}",
            labels_path=f"/nonexistent/{name}.jsonl",
            inputs_sha256="0" * 64,
            labels_sha256="1" * 64,
            sample_count=10,
        )
        for name, visibility in (("val", "public"), ("test", "hidden"), ("ood", "ood"))
    }
    phase = Phase.objects.create(
        benchmark=benchmark,
        slug="open",
        name="Open",
        starts_at=timezone.now() - timedelta(days=30),
        final_picks=picks,
    )
    return SimpleNamespace(benchmark=benchmark, track=track, splits=splits, phase=phase)


def scored(board, team, method: str, test: float, val: float = 0.5) -> Submission:  # type: ignore[no-untyped-def]
    """A finished submission of ``team`` with results on val and test (not on the OOD tier)."""
    for name, value in (("val", val), ("test", test)):
        result = finished_result(
            track=board.track,
            split=board.splits[name],
            team=team,
            method=method,
            metrics={"auc": value, "ci": {"auc": [value - 0.05, value + 0.05]}},
            primary_value=value,
        )
    Submission.objects.filter(pk=result.submission_id).update(finished_at=timezone.now())
    return Submission.objects.get(pk=result.submission_id)


def queued(board, team, method: str) -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=team,
        track=board.track,
        method_name=method,
        training_data="other: none",
        image_id="sha256:" + "b" * 64,
        status=Status.QUEUED,
    )

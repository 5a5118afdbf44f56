"""Helpers shared by tests (fixtures live in conftest.py)."""

import os

import pytest

REQUIRE_SERVICES = os.environ.get("FORGERYBENCH_REQUIRE_SERVICES") == "1"
# The application's less-privileged database role (deploy/scripts/ensure-services.sh makes it).
APP_ROLE = os.environ.get("FORGERYBENCH_DB_APP_ROLE") or "forgerybench_app"
APP_PASSWORD = os.environ.get("FORGERYBENCH_PG_APP_PASSWORD") or "forgerybench_app"


def unavailable(reason: str) -> None:
    """Skip when a real service is missing, or fail under `make test`, which provides them all."""
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


def finished_result(*, track, split, team, method: str, metrics: dict, primary_value):  # type: ignore[no-untyped-def]
    """A finished submission with one Result and a complete provenance record, as the score
    step writes them (leaderboards show nothing without provenance)."""
    from django.utils import timezone

    from audit.models import Provenance
    from submissions.models import Result, Status, Submission

    submission = Submission.objects.filter(team=team, track=track, method_name=method).first()
    if submission is None:
        submission = Submission.objects.create(
            team=team,
            track=track,
            method_name=method,
            training_data="other: test data",
            image_id="sha256:" + "a" * 64,
            status=Status.FINISHED,
        )
    result = Result.objects.create(
        submission=submission,
        split=split,
        metrics=metrics,
        primary_value=primary_value,
        protocol_version=1,
        evaluator_version="test",
    )
    Provenance.objects.create(
        result=result,
        image_id=submission.image_id,
        method_name=method,
        training_data=submission.training_data,
        split=split,
        manifest_sha256=split.inputs_sha256,
        labels_sha256=split.labels_sha256,
        sample_count=split.sample_count,
        protocol_version=1,
        evaluator_version="test",
        bootstrap_seed=0,
        worker_host="test",
        predictions_path="-",
        predictions_sha256="0" * 64,
        predictions_size=0,
        metrics_sha256="0" * 64,
        complete=True,
        created_at=timezone.now(),
    )
    return result

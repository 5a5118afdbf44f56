"""A team uploads an image through the page; a real worker runs it; the leaderboard shows it."""

import time
from pathlib import Path

import pytest
from django.test import Client

from benchmarks.models import Split
from benchmarks.services import split_publish_results
from submissions.models import Result, Status, Submission

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.django_db(transaction=True)]


def _wait_done(submission_id: int, timeout: float = 300) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=submission_id)
        if submission.is_done:
            return submission
        time.sleep(0.5)
    raise AssertionError(f"submission {submission_id} still {submission.status} after {timeout} s")


def test_upload_run_score_and_leaderboard(
    celery_worker, people, smoke_track, docker_client, tmp_path: Path
) -> None:
    tarball = tmp_path / "highfreq.tar"
    with tarball.open("wb") as handle:
        for chunk in docker_client.images.get("forgerybench/baseline-highfreq:latest").save():
            handle.write(chunk)
    client = Client()
    client.force_login(people.owner)
    with tarball.open("rb") as upload:
        response = client.post(
            "/submissions/new/",
            {
                "team": people.team.pk,
                "track": smoke_track.pk,
                "method_name": "HF residuals",
                "training_data": "other: training-free",
                "image": upload,
            },
        )
    assert response.status_code == 302, response.content.decode()[-2000:]
    submission = Submission.objects.get()
    assert submission.tarball_size == tarball.stat().st_size
    assert len(submission.tarball_sha256) == 64
    assert submission.image_id.startswith("sha256:")

    submission = _wait_done(submission.pk)
    assert submission.status == Status.FINISHED, (submission.failure_reason, submission.log_tail)
    assert submission.running_at and submission.scoring_at and submission.finished_at
    assert Result.objects.filter(submission=submission).count() == 3  # debug, val, test

    board = Client().get(f"/b/smoke-detect/{smoke_track.slug}/").content.decode()
    public_board, hidden = board.split('id="split-test"')
    assert "HF residuals" in public_board
    # Smoke-Detect declares a public part: it shows at once; the rest stays unpublished.
    hidden_result = Result.objects.get(submission=submission, split__visibility="hidden")
    assert hidden_result.disclosure["public_fraction"] == 0.25
    assert hidden_result.parts["public"]["n_units"] == round(
        0.25 * hidden_result.metrics["n"]["samples"]
    )
    assert hidden.count("HF residuals") == 1 and 'id="public-part-test"' in hidden
    assert "appear when the organizers publish them" in hidden

    split_publish_results(split=smoke_track.splits.get(visibility=Split.Visibility.HIDDEN))
    board = Client().get(f"/b/smoke-detect/{smoke_track.slug}/").content.decode()
    assert board.count("HF residuals") == 3
    assert "synthetic" in board

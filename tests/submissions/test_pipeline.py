"""Run and score steps in-process against real Docker: outcomes a team sees on its page."""

import pytest
from django.test import Client

from submissions.models import Result, Status, Submission
from submissions.pipeline import submission_score
from submissions.services import submission_create_from_image
from tests.agents import submission_run_here

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _submit(people, track, image: str) -> Submission:
    return submission_create_from_image(
        team=people.team,
        track=track,
        user=people.owner,
        image_reference=image,
        method_name="test method",
        training_data="other: nothing",
    )


def _run_and_score(submission: Submission) -> Submission:
    # Inside a test transaction on_commit never fires, so nothing reaches a worker: the test
    # drives both steps itself.
    submission_run_here(submission_id=submission.pk)
    submission.refresh_from_db()
    if submission.status == Status.SCORING:
        submission_score(submission_id=submission.pk)
        submission.refresh_from_db()
    return submission


def test_a_baseline_runs_on_every_split_and_gets_one_result_each(
    people, smoke_track, baseline_image
) -> None:
    submission = _run_and_score(_submit(people, smoke_track, baseline_image("highfreq")))
    assert submission.status == Status.FINISHED, submission.failure_reason
    results = {r.split.name: r for r in Result.objects.filter(submission=submission)}
    assert set(results) == {"debug", "val", "test"}, "the debug split runs on every submission"
    for result in results.values():
        assert 0.0 <= result.metrics["auc"] <= 1.0
        assert result.primary_value == result.metrics["auc"]
        assert result.protocol_version == 1
    flags = submission.runs.get(split__name="test").runtime_flags
    assert flags["network_mode"] == "none" and flags["read_only"] is True
    page = Client().get(f"/submissions/{submission.pk}/").content.decode()
    assert page.count("<figcaption>ROC curve") == 2, (
        "public splits (debug, val) only until publication"
    )
    assert "<polyline" in page


def test_scoring_twice_writes_no_second_result(people, smoke_track, baseline_image) -> None:
    submission = _run_and_score(_submit(people, smoke_track, baseline_image("sanity")))
    Submission.objects.filter(pk=submission.pk).update(status=Status.SCORING)
    submission_score(submission_id=submission.pk)
    assert Result.objects.filter(submission=submission).count() == 3


def test_a_redelivered_run_of_a_finished_submission_does_nothing(
    people, smoke_track, baseline_image
) -> None:
    submission = _run_and_score(_submit(people, smoke_track, baseline_image("sanity")))
    submission_run_here(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED


def test_nonzero_exit_fails_with_reason_and_log_tail_shown_to_the_team(
    people, smoke_track, test_image
) -> None:
    submission = _run_and_score(_submit(people, smoke_track, test_image("crasher")))
    assert submission.status == Status.FAILED
    assert submission.failure_code == "nonzero_exit"
    assert "exited with code 3" in submission.failure_reason
    client = Client()
    client.force_login(people.teammate)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "exited with code 3" in page
    assert "FileNotFoundError: /opt/model/weights.pt" in page
    client.force_login(people.outsider)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "failed" in page, "anyone sees the state"
    assert "exited with code 3" not in page, "reasons are for the owning team only"
    assert "FileNotFoundError" not in page, "log tails are for the owning team only"


def test_a_missing_prediction_fails_with_the_named_error(people, smoke_track, test_image) -> None:
    submission = _run_and_score(_submit(people, smoke_track, test_image("dropper")))
    assert submission.status == Status.FAILED
    assert submission.failure_code == "missing_id"
    assert "line" in submission.failure_reason or "missing" in submission.failure_reason
    assert not Result.objects.filter(submission=submission).exists()

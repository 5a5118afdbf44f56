"""A reviewer's removal holds for every run of one identity: a rerun never returns to a board
what a reviewer took off it, whichever comes first (the rerun or the removal)."""

import pytest
from django.test import Client

from audit.models import AuditAction, AuditEntry
from submissions.identity import result_follow_identity_removal
from submissions.models import Provenance, Result, ResultReview, Submission, VerificationStatus
from tests.support import finished_result

pytestmark = pytest.mark.django_db

BOARD = "/api/v1/tracks/smoke-detect/image/leaderboard/"
VALUE = {"auc": 0.91357913, "acc": 0.8}


def _original(people, track) -> Result:  # type: ignore[no-untyped-def]
    return finished_result(
        track=track,
        split=track.splits.get(name="val"),
        team=people.team,
        method="owl-1",
        metrics=VALUE,
        primary_value=VALUE["auc"],
    )


def _rerun_result(original: Result) -> Result:
    """A rerun of the original's submission, scored on the same split with a provenance."""
    first = original.submission
    rerun = Submission.objects.create(
        team=first.team,
        track=first.track,
        method_name=first.method_name,
        training_data=first.training_data,
        image_id=first.image_id,
        status="finished",
        rerun_of=first,
    )
    result = Result.objects.create(
        submission=rerun,
        split=original.split,
        metrics=VALUE,
        primary_value=VALUE["auc"],
        protocol_version=1,
        evaluator_version="test",
    )
    provenance = Provenance.objects.get(result=original)
    provenance.pk, provenance.result = None, result
    provenance.save()
    ResultReview.objects.get_or_create(result=result)
    return result


def _remove(client: Client, result: Result) -> None:
    answer = client.post(
        f"/audit/results/{result.pk}/status/", {"status": "removed", "reason": "x"}
    )
    assert answer.status_code == 302


def _shown() -> bool:
    return "0.91357913" in Client().get(BOARD).content.decode()


def test_removing_a_result_removes_its_reruns_results_on_that_split(
    people, smoke_track, reviewer
) -> None:
    original = _original(people, smoke_track)
    rerun = _rerun_result(original)
    assert _shown()
    client = Client()
    client.force_login(reviewer)
    _remove(client, original)
    assert ResultReview.objects.get(result=rerun).status == VerificationStatus.REMOVED
    assert not _shown()
    logged = AuditEntry.objects.filter(action=AuditAction.DISQUALIFIED, target_id=str(rerun.pk))
    assert logged.get().reason.startswith(f"follows the removal of result #{original.pk}")


def test_a_rerun_scored_after_a_removal_is_removed_too(people, smoke_track, reviewer) -> None:
    original = _original(people, smoke_track)
    client = Client()
    client.force_login(reviewer)
    _remove(client, original)
    rerun = _rerun_result(original)
    result_follow_identity_removal(result=rerun, actor="system")  # as the score step calls it
    assert ResultReview.objects.get(result=rerun).status == VerificationStatus.REMOVED
    assert not _shown()


def test_a_result_of_another_identity_stays(people, smoke_track, reviewer) -> None:
    original = _original(people, smoke_track)
    other = finished_result(
        track=smoke_track,
        split=original.split,
        team=people.team,
        method="owl-2",
        metrics={"auc": 0.7, "acc": 0.7},
        primary_value=0.7,
    )
    client = Client()
    client.force_login(reviewer)
    _remove(client, original)
    result_follow_identity_removal(result=other, actor="system")
    assert ResultReview.objects.filter(result=other, status=VerificationStatus.REMOVED).count() == 0

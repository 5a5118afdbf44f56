"""Rerun and disqualify: both with a reason, both audited; no score is edited in place."""

import pytest
from django.test import Client

from accounts.services import user_create
from audit.chain import text_sha256
from audit.models import AuditAction, AuditEntry
from audit.services import AuditActionRefused, AuditPermissionDenied, audit_verify_chain
from review.services import reviewer_add
from submissions.models import Result, Status, Submission
from submissions.pipeline import submission_score
from submissions.reviewer_actions import submission_disqualify, submission_rerun
from submissions.selectors import submission_quota_usage
from submissions.services import submission_create_from_image
from tests.agents import submission_run_here

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _scored(submission: Submission) -> Submission:
    submission_run_here(submission_id=submission.pk)
    submission_score(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED, submission.failure_reason
    return submission


@pytest.fixture
def original(people, smoke_track, baseline_image) -> Submission:  # type: ignore[no-untyped-def]
    return _scored(
        submission_create_from_image(
            team=people.team,
            track=smoke_track,
            user=people.owner,
            image_reference=baseline_image("sanity"),
            method_name="Owl net",
            training_data="other: nothing",
            model_card="# Owl net",
            license="MIT",
        )
    )


@pytest.fixture
def reviewer(db):  # type: ignore[no-untyped-def]
    user = user_create(username="reviewer", password="pw-reviewer-123")
    reviewer_add(user=user)
    return user


def _metrics(submission: Submission) -> dict[str, object]:
    return {r.split.name: r.metrics for r in submission.results.select_related("split")}


def test_a_rerun_is_a_new_submission_of_the_same_identity(original, reviewer, people) -> None:
    before = _metrics(original)
    used = submission_quota_usage(team=people.team, track=original.track, now=original.created_at)
    rerun = submission_rerun(submission=original, user=reviewer, reason="check determinism")
    assert rerun.pk != original.pk and rerun.rerun_of_id == original.pk
    assert rerun.status == Status.QUEUED and rerun.submitted_by == reviewer
    for field in (
        "team_id",
        "track_id",
        "image_id",
        "image_reference",
        "method_name",
        "training_data",
        "model_card",
        "license",
        "tarball_sha256",
    ):
        assert getattr(rerun, field) == getattr(original, field), field
    entry = AuditEntry.objects.get(action=AuditAction.RERUN)
    assert (entry.actor, entry.reason, entry.target_id) == (
        "reviewer",
        "check determinism",
        str(original.pk),
    )
    assert entry.payload["original"] == original.pk and entry.payload["rerun"] == rerun.pk
    assert entry.payload["model_card_sha256"] == text_sha256("# Owl net")
    # The team asked for nothing: its quota is untouched.
    assert (
        submission_quota_usage(team=people.team, track=original.track, now=original.created_at)
        == used
    )
    # Through the normal pipeline: the rerun gets its own results; the original's stay.
    _scored(rerun)
    assert _metrics(original) == before
    assert _metrics(rerun) == before  # the same image on the same data: the same numbers
    # debug, val and test each
    assert Result.objects.filter(submission__in=[original, rerun]).count() == 6
    assert audit_verify_chain() is None


def test_rerun_needs_a_reason_a_role_and_an_ended_submission(
    original, reviewer, people, smoke_track
) -> None:
    with pytest.raises(AuditActionRefused, match="needs a reason"):
        submission_rerun(submission=original, user=reviewer, reason="  ")
    with pytest.raises(AuditPermissionDenied):
        submission_rerun(submission=original, user=people.owner, reason="again")
    queued = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="x",
        image_id=original.image_id,
        status=Status.QUEUED,
    )
    with pytest.raises(AuditActionRefused, match="is queued; only a finished or failed"):
        submission_rerun(submission=queued, user=reviewer, reason="again")
    gone = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="x",
        image_id="sha256:" + "0" * 64,
        tarball_sha256="ab" * 32,  # an upload, whose image the store no longer holds
        status=Status.FINISHED,
    )
    with pytest.raises(AuditActionRefused, match="no image"):
        submission_rerun(submission=gone, user=reviewer, reason="again")
    assert not AuditEntry.objects.filter(action=AuditAction.RERUN).exists()
    assert Submission.objects.filter(rerun_of__isnull=False).count() == 0


def test_disqualify_takes_the_entry_off_every_board(original, reviewer, people) -> None:
    board = "/b/smoke-detect/image/"
    assert "Owl net" in Client().get(board).content.decode()
    with pytest.raises(AuditPermissionDenied):
        submission_disqualify(submission=original, user=reviewer, reason="cheating")
    with pytest.raises(AuditActionRefused, match="needs a reason"):
        submission_disqualify(submission=original, user=people.organizer, reason="")
    submission_disqualify(
        submission=original, user=people.organizer, reason="trained on the test split"
    )
    original.refresh_from_db()
    assert original.disqualified_at is not None and original.disqualified_by == people.organizer
    assert original.disqualified_reason == "trained on the test split"
    assert original.results.count() == 3  # kept on record (debug, val, test)
    assert "Owl net" not in Client().get(board).content.decode()
    assert "Owl net" not in Client().get("/b/smoke-detect/image/val.csv").content.decode()
    with pytest.raises(AuditActionRefused, match="already disqualified"):
        submission_disqualify(submission=original, user=people.organizer, reason="again")
    entry = AuditEntry.objects.get(action=AuditAction.DISQUALIFIED)
    assert (entry.actor, entry.reason) == ("organizer", "trained on the test split")
    assert entry.target_type == "submission" and entry.target_id == str(original.pk)
    assert sorted(entry.payload["results"]) == sorted(original.results.values_list("pk", flat=True))
    page = Client().get(f"/submissions/{original.pk}/").content.decode()
    assert 'id="disqualified"' in page and "trained on the test split" in page


def test_buttons_and_posts_per_role(original, reviewer, people) -> None:
    url = f"/submissions/{original.pk}/"
    clients = {"anonymous": Client()}
    for role, user in (
        ("outsider", people.outsider),
        ("owner", people.owner),
        ("reviewer", reviewer),
        ("organizer", people.organizer),
    ):
        clients[role] = Client()
        clients[role].force_login(user)
    shown = {
        role: (
            'id="rerun-form"' in (page := c.get(url).content.decode()),
            'id="disqualify-form"' in page,
        )
        for role, c in clients.items()
    }
    assert shown == {
        "anonymous": (False, False),
        "outsider": (False, False),
        "owner": (False, False),
        "reviewer": (True, False),
        "organizer": (True, True),
    }
    posts = {
        role: (
            c.post(f"{url}rerun/", {"reason": "r"}).status_code,
            c.post(f"{url}disqualify/", {"reason": "d"}).status_code,
        )
        for role, c in clients.items()
        if role != "organizer"
    }
    assert posts == {
        "anonymous": (302, 302),  # to the login page
        "outsider": (403, 403),
        "owner": (403, 403),
        "reviewer": (302, 403),  # the rerun is made; disqualifying is for organizers
    }
    assert Submission.objects.filter(rerun_of=original).count() == 1
    original.refresh_from_db()
    assert original.disqualified_at is None
    # A post without a reason changes nothing and says why.
    response = clients["organizer"].post(f"{url}disqualify/", {"reason": ""}, follow=True)
    assert "needs a reason" in response.content.decode()
    original.refresh_from_db()
    assert original.disqualified_at is None
    # Reviewers reach the rerun from a result's audit page too.
    result = original.results.first()
    audit = clients["reviewer"].get(f"/audit/results/{result.pk}/").content.decode()
    assert f'action="/submissions/{original.pk}/rerun/"' in audit


def test_disqualifying_reaches_the_reruns_and_stops_new_ones(original, reviewer, people) -> None:
    rerun = submission_rerun(submission=original, user=reviewer, reason="reproduce")
    again = submission_rerun(submission=original, user=reviewer, reason="reproduce again")
    submission_disqualify(submission=original, user=people.organizer, reason="label leak")
    for row in (rerun, again):
        row.refresh_from_db()
        assert row.disqualified_at is not None
        assert row.disqualified_reason == f"a rerun of #{original.pk}, disqualified: label leak"
    entry = AuditEntry.objects.get(action=AuditAction.DISQUALIFIED)
    assert sorted(entry.payload["reruns"]) == sorted([rerun.pk, again.pk])
    original.refresh_from_db()
    with pytest.raises(AuditActionRefused, match="is disqualified"):
        submission_rerun(submission=original, user=reviewer, reason="once more")

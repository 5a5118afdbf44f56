"""Notifications hear events through the signals of the apps where they happen (the reveal and
publications: test_views, test_mail), and a receiver's fault never breaks the event."""

import pytest
from django.db import transaction

from accounts.models import Team
from accounts.services import invitation_create
from accounts.signals import team_changed
from notifications.models import Kind, Notification
from submissions.models import Status, Submission
from submissions.services import submission_fail

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_failing_receiver_rolls_back_to_its_savepoint_and_the_event_stands(people) -> None:
    # A link longer than its column is a real database error inside the receiver: without its
    # savepoint it would abort the event's transaction.
    with transaction.atomic():
        team = Team.objects.create(name="Newcomers", slug="newcomers")
        team_changed.send_robust(
            sender=Team, users=[people.owner], subject="s", body="b", link="/" + "x" * 400
        )
        assert Team.objects.filter(pk=team.pk).exists()  # the transaction is still usable
    assert Team.objects.filter(slug="newcomers").exists()
    assert not Notification.objects.exists()


def test_a_failed_submission_and_a_mailed_invitation_are_told(people, smoke_track) -> None:
    submission = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="Owl net",
        training_data="other: x",
        image_id="sha256:" + "c" * 64,
        status=Status.RUNNING,
    )
    assert submission_fail(submission_id=submission.pk, code="timeout", reason="too slow")
    told = Notification.objects.filter(kind=Kind.SUBMISSION)
    assert set(told.values_list("user__username", flat=True)) == {"owner", "teammate"}

    people.outsider.email = "outsider@example.org"
    people.outsider.save(update_fields=["email"])
    invitation_create(team=people.team, user=people.owner, email="outsider@example.org")
    invited = Notification.objects.get(kind=Kind.TEAM)
    assert invited.user == people.outsider and invited.link == f"/teams/{people.team.slug}/"

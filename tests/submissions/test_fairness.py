"""The run priority: a team's oldest queued run first, its later ones at lower levels."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.services import team_create, user_create
from submissions.fairness import LOWEST_PRIORITY, priority_for_backlog, submission_run_priority
from submissions.models import Status, Submission

pytestmark = pytest.mark.django_db


def _queued(team, track, at) -> Submission:
    return Submission.objects.create(
        team=team,
        track=track,
        method_name="m",
        training_data="other: x",
        image_id="sha256:" + "0" * 64,
        status=Status.QUEUED,
        queued_at=at,
    )


def test_priority_counts_only_the_teams_own_older_queued_runs(people, smoke_track) -> None:
    now = timezone.now()
    mine = [_queued(people.team, smoke_track, now + timedelta(seconds=n)) for n in range(12)]
    other_owner = user_create(username="other-owner", password="pw-other-owner-123")
    other = team_create(name="Team Other", owner=other_owner)
    theirs = _queued(other, smoke_track, now + timedelta(seconds=30))
    # 1st: 0, 2nd: 1, 3rd-4th: 2, 5th-8th: 3, 9th-16th: 4 (a log scale of the backlog)
    assert [submission_run_priority(submission=s) for s in mine] == [
        0, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
    ]  # fmt: skip
    assert submission_run_priority(submission=theirs) == 0
    # Runs that left the queue no longer hold the team back.
    Submission.objects.filter(pk__in=[s.pk for s in mine[:3]]).update(status=Status.RUNNING)
    assert submission_run_priority(submission=mine[3]) == 0
    assert submission_run_priority(submission=mine[-1]) == 4  # 8 ahead


def test_the_scale_saturates_at_the_lowest_level() -> None:
    assert priority_for_backlog(0) == 0
    assert [priority_for_backlog(n) for n in (255, 256, 511, 100_000)] == [8, 9, 9, 9]
    assert priority_for_backlog(100_000) == LOWEST_PRIORITY
    with pytest.raises(ValueError, match="ahead must be at least 0"):
        priority_for_backlog(-1)

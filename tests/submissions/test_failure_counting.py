"""Failures a container can cause on purpose count against the team; the platform's do not."""

import pytest
from django.utils import timezone

from benchmarks.models import Split
from submissions.models import SplitRun, Status, Submission
from submissions.selectors import submission_quota_usage

pytestmark = pytest.mark.django_db


def _row(people, track, status: str, code: str = "") -> Submission:
    return Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="x",
        image_id="sha256:x",
        status=status,
        failure_code=code,
    )


def test_a_cancel_after_a_hidden_run_ended_counts(people, smoke_track) -> None:
    def usage() -> int:
        return submission_quota_usage(team=people.team, track=smoke_track, now=timezone.now()).total

    early = _row(people, smoke_track, Status.CANCELLED, "cancelled")
    val = smoke_track.splits.get(visibility=Split.Visibility.PUBLIC, name="val")
    SplitRun.objects.create(submission=early, split=val, ended_at=timezone.now())
    _row(people, smoke_track, Status.FAILED, "platform_error")
    assert usage() == 0, "a cancel before any hidden run ended, a platform fault: uncounted"
    late = _row(people, smoke_track, Status.CANCELLED, "cancelled")
    test = smoke_track.splits.get(visibility=Split.Visibility.HIDDEN, name="test")
    SplitRun.objects.create(submission=late, split=test, ended_at=timezone.now())
    _row(people, smoke_track, Status.FAILED, "bad_output")
    assert usage() == 2, "the hidden run's measurements were shown: the cancel counts"

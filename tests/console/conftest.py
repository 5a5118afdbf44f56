"""Fixtures of the console tests: a benchmark's submission history over three days."""

from datetime import UTC, datetime, timedelta

import pytest

from accounts.services import team_create, user_create
from submissions.models import Result, Status, Submission

DAY1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY3 = DAY1 + timedelta(days=2)


def _submission(track, team, *, at, status, wait=None, run=None, code=""):  # type: ignore[no-untyped-def]
    submission = Submission.objects.create(
        team=team,
        track=track,
        method_name="m",
        training_data="other: x",
        image_id="sha256:x",
        status=status,
        failure_code=code,
    )
    fields = {"created_at": at, "queued_at": at}
    if wait is not None:
        fields["running_at"] = at + timedelta(seconds=wait)
    if run is not None:
        fields["scoring_at"] = fields["running_at"] + timedelta(seconds=run)
    if status == Status.FAILED:
        fields["failed_at"] = at + timedelta(minutes=5)
    Submission.objects.filter(pk=submission.pk).update(**fields)
    submission.refresh_from_db()
    return submission


def _result(submission, split, value, at):  # type: ignore[no-untyped-def]
    result = Result.objects.create(
        submission=submission,
        split=split,
        metrics={"auc": value},
        primary_value=value,
        protocol_version=1,
        evaluator_version="test",
    )
    Result.objects.filter(pk=result.pk).update(created_at=at)


@pytest.fixture
def history(smoke_track, people):  # type: ignore[no-untyped-def]
    """Two teams over three days: finished, failed and waiting submissions, scored results."""
    other = team_create(name="=HYPERLINK(evil)", owner=user_create(username="eve", password="p"))
    test = smoke_track.splits.get(name="test")
    val = smoke_track.splits.get(name="val")
    owl = people.team
    a = _submission(smoke_track, owl, at=DAY1, status=Status.FINISHED, wait=30, run=100)
    b = _submission(smoke_track, other, at=DAY1 + timedelta(hours=2), status=Status.FINISHED,
                    wait=90, run=40)  # fmt: skip
    _submission(smoke_track, owl, at=DAY1 + timedelta(hours=3), status=Status.FAILED, wait=10,
                code="nonzero_exit")  # fmt: skip
    c = _submission(smoke_track, owl, at=DAY3, status=Status.FINISHED, wait=5, run=60)
    _submission(smoke_track, other, at=DAY3, status=Status.FAILED, code="image_missing")
    _submission(smoke_track, other, at=DAY3 + timedelta(hours=1), status=Status.QUEUED)
    _result(a, test, 0.61, DAY1 + timedelta(minutes=10))
    _result(b, test, 0.72, DAY1 + timedelta(hours=3))
    _result(c, test, 0.72, DAY3 + timedelta(minutes=10))  # equal: the first to reach it keeps it
    _result(a, val, 0.8, DAY1 + timedelta(minutes=10))
    return smoke_track

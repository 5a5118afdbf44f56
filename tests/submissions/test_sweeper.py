from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from submissions.models import Status, Submission
from submissions.sweeper import submission_requeue_stale

pytestmark = pytest.mark.django_db


def _queued(people, track, minutes_ago: int) -> Submission:
    return Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="x",
        image_id="sha256:x",
        status=Status.QUEUED,
        queued_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_only_stale_queued_submissions_are_sent_again(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    from runs.models import RunJob

    old, fresh = _queued(people, smoke_track, 30), _queued(people, smoke_track, 0)
    running = _queued(people, smoke_track, 30)
    Submission.objects.filter(pk=running.pk).update(status=Status.RUNNING)
    with (
        mock.patch("forgerybench_site.celery.app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert submission_requeue_stale(older_than=timedelta(minutes=10)) == [old.pk]
    # Its run job (made now: the row was created without one), on its track's run queue.
    job = RunJob.objects.get(submission=old)
    from submissions.run_queue import run_order

    first = min(smoke_track.splits.exclude(visibility="ood"), key=run_order)
    assert (job.kind, job.state, job.split) == ("run", "queued", first)
    send.assert_called_once_with("runagent.run", (job.pk,), queue="cpu", priority=0)
    assert not RunJob.objects.filter(submission__in=[fresh, running]).exists()

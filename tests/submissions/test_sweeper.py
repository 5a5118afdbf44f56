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


def test_only_stale_queued_submissions_are_sent_again(people, smoke_track) -> None:
    old, fresh = _queued(people, smoke_track, 30), _queued(people, smoke_track, 0)
    running = _queued(people, smoke_track, 30)
    Submission.objects.filter(pk=running.pk).update(status=Status.RUNNING)
    with mock.patch("submissions.tasks.run_submission.apply_async") as send:
        assert submission_requeue_stale(older_than=timedelta(minutes=10)) == [old.pk]
    send.assert_called_once_with((old.pk,), queue="cpu", priority=0)
    assert fresh.pk not in [call.args[0][0] for call in send.call_args_list]

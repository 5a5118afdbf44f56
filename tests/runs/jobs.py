"""A queued submission with its run job, as the agent-facing tests of tests/runs start from."""

from pathlib import Path

from django.conf import settings
from django.utils import timezone

from runs.models import RunJob
from runs.services import runjob_create
from submissions.models import Status, Submission


def queued_run_job(people, track, *, split_name: str = "test", send: bool = False) -> RunJob:  # type: ignore[no-untyped-def]
    """One queued submission of `people.team` on `track`, and its run job on `split_name`."""
    submission = Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="x",
        image_id="sha256:" + "ab" * 32,
        status=Status.QUEUED,
        queued_at=timezone.now(),
    )
    split = track.splits.get(name=split_name)
    return runjob_create(
        kind="run",
        submission=submission,
        split=split,
        inputs_dir=Path(split.inputs_dir),
        artifacts_dir=Path(settings.FORGERYBENCH_ARTIFACTS_DIR) / str(submission.pk),
        send=send,
    )

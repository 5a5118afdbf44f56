"""Which split a submission runs next: its run jobs, one split at a time, public splits first.

The pipeline (``pipeline``) records each job's outcome and asks here for the next one; the
submission services queue the first at intake and the sweeper sends a lost one again.
"""

from pathlib import Path

from django.conf import settings

from benchmarks.models import Split
from runs.models import RunJob
from runs.services import runjob_create, runjob_send

from .fairness import submission_run_priority
from .models import Submission


def run_order(split: Split) -> tuple[bool, str]:
    """Public splits (debug, val) run and score first: a crash there is told in full, and a
    container that fails to run there never runs on the hidden split (predictions are
    validated in the score step, after every split ran)."""
    return (split.visibility != Split.Visibility.PUBLIC, split.name)


def artifacts_dir_for(submission: Submission, split: Split) -> Path:
    return Path(settings.FORGERYBENCH_ARTIFACTS_DIR) / str(submission.pk) / split.name


def _run_splits(submission: Submission) -> list[Split]:
    # The OOD tier runs only on final picks, at the organizer's reveal (submissions.ood).
    # Public splits first: a crash there is told in full and never touches a hidden split.
    splits = submission.track.splits.exclude(visibility=Split.Visibility.OOD)
    return sorted(splits, key=run_order)


def submission_next_job(*, submission: Submission, send: bool = True) -> RunJob | None:
    """The submission's open run job, or a new one for its next split not yet run; None when
    every split has completed."""
    open_job = (
        RunJob.objects.filter(
            submission=submission, kind=RunJob.Kind.RUN, state__in=["queued", "running"]
        )
        .order_by("pk")
        .first()
    )
    if open_job is not None:
        return open_job
    completed = set(
        RunJob.objects.filter(
            submission=submission, kind=RunJob.Kind.RUN, state="done", outcome="completed"
        ).values_list("split_id", flat=True)
    )
    for split in _run_splits(submission):
        if split.pk not in completed:
            return runjob_create(
                kind=RunJob.Kind.RUN,
                submission=submission,
                split=split,
                inputs_dir=Path(split.inputs_dir),
                artifacts_dir=artifacts_dir_for(submission, split),
                priority=submission_run_priority(submission=submission),
                send=send,
            )
    return None


def submission_send_run(*, submission: Submission) -> RunJob | None:
    """Send the submission's run job again (creating it if it has none yet)."""
    job = submission_next_job(submission=submission, send=False)
    if job is not None:
        runjob_send(job=job, priority=submission_run_priority(submission=submission))
    return job

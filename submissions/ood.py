"""Runs on the out-of-distribution tier: one final pick on one OOD split, after the reveal.

A normal submission never runs its OOD splits (see ``pipeline.submission_run``). At the reveal
each pick gets a ``SplitRun`` row in state ``queued``; the run step claims it by conditional
UPDATE (queued → running), runs the container with the pipeline's own helper, and hands over to
the score step, which writes the Result through the pipeline's scorer. The submission's status
never moves (it is finished); a failure here is recorded on the run row only, since the
submission's other results stand.
"""

from __future__ import annotations

import dataclasses
import logging

from django.db import transaction
from django.utils import timezone

from benchmarks.models import Split
from benchmarks.services import track_results_changed
from evaluator.validation import PredictionError, TruthError

from .images import docker_client
from .models import Result, SplitRun, Submission
from .pipeline import run_limits_for, split_run_container, split_score_run
from .queues import SCORE_QUEUE

logger = logging.getLogger(__name__)

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"  # the runner's outcome for a container that ran to the end


def ood_run_enqueue(*, submission: Submission, split: Split) -> bool:
    """Create the pick's queued run on ``split`` and send it once committed; False when the
    submission already has a run there (a second reveal or a second pick of it)."""
    if split.visibility != Split.Visibility.OOD:
        raise ValueError(f"split {split} is not an out-of-distribution split")
    _, created = SplitRun.objects.get_or_create(
        submission=submission, split=split, defaults={"outcome": QUEUED, "runtime_flags": {}}
    )
    if created:
        ood_run_send(submission_id=submission.pk, split_id=split.pk, queue=split.track.queue)
    return created


def ood_run_send(*, submission_id: int, split_id: int, queue: str) -> None:
    from .ood_tasks import run_ood_split

    def send() -> None:
        try:
            run_ood_split.apply_async((submission_id, split_id), queue=queue)
        except Exception:
            # The row stays queued; a second reveal click sends it again.
            logger.exception("could not send the OOD run of %s on %s", submission_id, split_id)

    transaction.on_commit(send)


def ood_runs_resend(*, split_ids: list[int]) -> int:
    """Send again every OOD run still queued on these splits (the claim makes it harmless)."""
    runs = SplitRun.objects.filter(split_id__in=split_ids, outcome=QUEUED).select_related(
        "split__track"
    )
    count = 0
    for run in runs:
        ood_run_send(
            submission_id=run.submission_id, split_id=run.split_id, queue=run.split.track.queue
        )
        count += 1
    return count


def ood_run(*, submission_id: int, split_id: int, gpu_device_ids: tuple[str, ...] = ()) -> None:
    """Run a pick's image on one OOD split, then queue its scoring."""
    claimed = SplitRun.objects.filter(
        submission_id=submission_id, split_id=split_id, outcome=QUEUED
    ).update(outcome=RUNNING, started_at=timezone.now())
    if not claimed:
        logger.info("OOD run of %s on split %s: not queued any more", submission_id, split_id)
        return
    submission = Submission.objects.select_related("track").get(pk=submission_id)
    split = Split.objects.get(pk=split_id)
    limits = dataclasses.replace(run_limits_for(submission.track), gpu_device_ids=gpu_device_ids)
    # Not the sweeper's label: the submission is finished, so it would remove the container.
    outcome = split_run_container(
        docker_client(),
        submission=submission,
        split=split,
        limits=limits,
        owner_label="org.forgerybench.ood-submission",
    )
    if not outcome.succeeded:
        logger.info(
            "OOD run of %s on %s ended %s: %s",
            submission_id,
            split.name,
            outcome.outcome,
            outcome.message,
        )
        return
    from .ood_tasks import score_ood_split

    transaction.on_commit(
        lambda: score_ood_split.apply_async((submission_id, split_id), queue=SCORE_QUEUE)
    )


def ood_score(*, submission_id: int, split_id: int) -> Result | None:
    """Score a completed OOD run; a bad output is recorded on the run as its named code."""
    run = (
        SplitRun.objects.select_related("split", "split__track")
        .filter(submission_id=submission_id, split_id=split_id, outcome=COMPLETED)
        .first()
    )
    if run is None:
        logger.info("OOD score of %s on split %s: no completed run", submission_id, split_id)
        return None
    if Result.objects.filter(submission_id=submission_id, split_id=split_id).exists():
        return None  # a redelivered message: scored already
    submission = Submission.objects.select_related("track").get(pk=submission_id)
    try:
        result = split_score_run(submission=submission, run=run)
    except PredictionError as exc:
        SplitRun.objects.filter(pk=run.pk, outcome=COMPLETED).update(
            outcome=exc.code, log_tail=f"{run.log_tail}\ninvalid predictions: {exc}"[-4000:]
        )
        return None
    except (TruthError, ValueError) as exc:
        SplitRun.objects.filter(pk=run.pk, outcome=COMPLETED).update(outcome="platform_error")
        logger.error("OOD split %s cannot be scored: %s", split_id, exc)
        return None
    track_results_changed(track=run.split.track)
    return result

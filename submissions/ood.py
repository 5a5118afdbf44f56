"""Runs on the out-of-distribution tier: one final pick on one OOD split, after the reveal.

A normal submission never runs its OOD splits (see ``run_queue.submission_next_job``). At the
reveal each pick gets a ``SplitRun`` row in state ``queued`` and a run job of kind ``ood``
(runs.services: one lease and heartbeat for every container). The job's agent runs the
container; when its outcome arrives the run row records it and the score step, which writes
the Result through the pipeline's scorer, is queued. The submission's status never moves (it
is finished); a failure here is recorded on the run row only, since the submission's other
results stand.

The sweeper recovers a lost message or a dead agent through the job (``runs.services
.runjob_sweep``) and re-sends the score message of a completed run left without its Result
(``ood_runs_sweep``), so an agent killed mid-run loses nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from benchmarks.models import Split
from benchmarks.services import track_results_changed
from evaluator.validation import PredictionError, TruthError
from runs.models import RunJob
from runs.services import runjob_create, runjob_send

from .models import Result, SplitRun, Submission
from .pipeline import split_score_run
from .queues import OOD_SCORE_TASK, SCORE_QUEUE
from .run_queue import artifacts_dir_for

logger = logging.getLogger(__name__)

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"  # the runner's outcome for a container that ran to the end


def ood_run_enqueue(*, submission: Submission, split: Split) -> bool:
    """Create the pick's queued run on ``split`` and its run job (sent once committed);
    False when the submission already has a run there (a second reveal or a second pick)."""
    if split.visibility != Split.Visibility.OOD:
        raise ValueError(f"split {split} is not an out-of-distribution split")
    _, created = SplitRun.objects.get_or_create(
        submission=submission,
        split=split,
        defaults={"outcome": QUEUED, "runtime_flags": {}, "last_sent_at": timezone.now()},
    )
    if created:
        runjob_create(
            kind=RunJob.Kind.OOD,
            submission=submission,
            split=split,
            inputs_dir=Path(split.inputs_dir),
            artifacts_dir=artifacts_dir_for(submission, split),
        )
    return created


def ood_runs_resend(*, split_ids: list[int]) -> int:
    """Send again every OOD run job still queued on these splits (the claim makes it
    harmless)."""
    jobs = RunJob.objects.filter(kind=RunJob.Kind.OOD, split_id__in=split_ids, state="queued")
    count = 0
    for job in jobs:
        runjob_send(job=job)
        count += 1
    return count


def _run_row(job: RunJob) -> Q:
    return Q(submission_id=job.submission_id, split_id=job.split_id)


def ood_job_claimed(job: RunJob) -> bool:
    now = timezone.now()
    return bool(
        SplitRun.objects.filter(_run_row(job), outcome__in=(QUEUED, RUNNING)).update(
            outcome=RUNNING, started_at=now, run_owner=job.lease_owner, heartbeat_at=now
        )
    )


def ood_job_wanted(job: RunJob) -> bool:
    return SplitRun.objects.filter(_run_row(job), outcome__in=(QUEUED, RUNNING)).exists()


def ood_job_finished(job: RunJob) -> None:
    """Record the run; queue its scoring when it completed."""
    report = job.report
    moved = SplitRun.objects.filter(_run_row(job), outcome=RUNNING).update(
        container_id=report.get("container_id", ""),
        started_at=report.get("started_at"),
        ended_at=report.get("ended_at"),
        exit_code=report.get("exit_code"),
        outcome=job.outcome,
        runtime_flags=report.get("runtime_flags", {}),
        artifacts_dir=job.artifacts_dir,
        log_tail=report.get("log_tail", ""),
        peak_memory_bytes=report.get("peak_memory_bytes"),
        output_bytes=report.get("output_bytes"),
        last_sent_at=timezone.now(),
    )
    if not moved:
        return
    if job.outcome != COMPLETED:
        logger.info(
            "OOD run of %s on %s ended %s: %s",
            job.submission_id,
            job.split.name,
            job.outcome,
            job.message,
        )
        return
    ood_score_send(submission_id=job.submission_id, split_id=job.split_id)


def ood_score_send(*, submission_id: int, split_id: int) -> None:
    transaction.on_commit(
        lambda: current_app.send_task(OOD_SCORE_TASK, (submission_id, split_id), queue=SCORE_QUEUE)
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


@dataclass
class OodSweep:
    rescored: list[int] = field(default_factory=list)  # score message sent again


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


def _sent_before(cutoff: datetime) -> Q:
    return Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=cutoff)


def ood_runs_sweep(*, now: datetime) -> OodSweep:
    """Re-send the score message of a completed OOD run left without its Result (run by the
    sweeper; lost run messages and dead agents are the run jobs' sweep)."""
    report = OodSweep()
    runs = SplitRun.objects.filter(split__visibility=Split.Visibility.OOD).select_related(
        "split__track"
    )
    cutoff = now - _seconds("FORGERYBENCH_REQUEUE_SCORING_SECONDS")
    scored = Result.objects.filter(
        submission_id=OuterRef("submission_id"), split_id=OuterRef("split_id")
    )
    unscored = runs.filter(outcome=COMPLETED).exclude(Exists(scored)).filter(_sent_before(cutoff))
    for run in unscored:
        if (
            SplitRun.objects.filter(pk=run.pk, outcome=COMPLETED)
            .filter(_sent_before(cutoff))
            .update(last_sent_at=now)
        ):
            ood_score_send(submission_id=run.submission_id, split_id=run.split_id)
            report.rescored.append(run.pk)
    return report

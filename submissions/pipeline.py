"""The two steps every submission goes through: run (by a run agent), then score (trusted).

The run step is a run job per split (runs.services), carried out by a run agent that gets
only the image, the split's inputs archive and the limits; the platform records each job's
outcome here and queues the next split, or the score step. Labels are read only by
`submission_score`, on the score queue's Django workers, which never start a container.
"""

import logging
from pathlib import Path
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone

import evaluator
from benchmarks.disclosure import phase_at, policy_record
from benchmarks.models import Split, Track
from benchmarks.services import track_results_changed
from evaluator.parts import score_parts
from evaluator.scoring import evaluate
from evaluator.validation import PredictionError, TruthError
from runs.models import RunJob
from runs.services import run_limits_for

from .artifacts import PREDICTIONS_FILE, unit_table_path
from .models import Result, SplitRun, Status, Submission
from .provenance import result_record_provenance
from .queues import SCORE_QUEUE, SCORE_TASK
from .run_disclosure import BAD_OUTPUT, Limits, hidden_prediction_reason, hidden_run_message
from .run_queue import run_order, submission_next_job
from .services import submission_claim, submission_fail
from .signals import submission_done

logger = logging.getLogger(__name__)

__all__ = ["run_limits_for"]


def disclosure_limits(track: Track, split: Split) -> Limits:
    """The limits a hidden run's measurements are banded against."""
    return Limits(
        timeout_seconds=track.timeout_seconds,
        memory_mb=track.memory_mb,
        output_cap_mb=settings.FORGERYBENCH_OUTPUT_CAP_MB,
        sample_count=split.sample_count,
    )


def run_failure_reason(split: Split, job: RunJob, track: Track) -> str:
    """The team's reason for a failed run: the runner's message on a public split, the
    platform's banded words on a hidden one (submissions.run_disclosure)."""
    if split.visibility == Split.Visibility.PUBLIC:
        return f"{split.name}: {job.message}"
    if job.outcome == "pids_limit":
        # "stopped by the process limit (N processes)": the platform's limit; an exit code
        # after it is the container's, and is left out.
        return f"{split.name}: {job.message.split(';')[0]}"
    message = hidden_run_message(
        outcome=job.outcome,
        exit_code=job.report.get("exit_code"),
        limits=disclosure_limits(track, split),
    )
    return f"{split.name}: {message}"


def prediction_failure_reason(split: Split, exc: PredictionError, track: Track) -> str:
    if split.visibility == Split.Visibility.PUBLIC:
        return f"{split.name}: invalid predictions: {exc}"
    reason = hidden_prediction_reason(
        code=exc.code, count=exc.total, limits=disclosure_limits(track, split)
    )
    return f"{split.name}: {reason}"


def _record_run(job: RunJob) -> SplitRun:
    report = job.report
    fields = {
        "container_id": report.get("container_id", ""),
        "started_at": report.get("started_at"),
        "ended_at": report.get("ended_at"),
        "exit_code": report.get("exit_code"),
        "outcome": job.outcome,
        "runtime_flags": report.get("runtime_flags", {}),
        "artifacts_dir": job.artifacts_dir,
        # The platform's own words end the log: on a hidden split, where the team sees only
        # banded measurements, organizers still read what exactly went wrong.
        "log_tail": report.get("log_tail", "")
        + (f"\n[platform] {job.message}" if job.message else ""),
        "peak_memory_bytes": report.get("peak_memory_bytes"),
        "output_bytes": report.get("output_bytes"),
    }
    run, _ = SplitRun.objects.update_or_create(
        submission_id=job.submission_id, split_id=job.split_id, defaults=fields
    )
    return run


def _log_tails(submission: Submission) -> str:
    # A hidden run's stdout/stderr is never shown to the team (run_disclosure): only public
    # splits' tails make the submission's log.
    runs = submission.runs.select_related("split").filter(split__visibility=Split.Visibility.PUBLIC)
    tails = [f"== {run.split.name} ==\n{run.log_tail}" for run in runs.order_by("ended_at", "pk")]
    return "\n".join(tails)[-settings.FORGERYBENCH_LOG_TAIL_BYTES :]


def run_job_claimed(job: RunJob) -> bool:
    """The submission is running under the job's agent (queued → running on the first)."""
    now = timezone.now()
    owner = job.lease_owner
    if Submission.objects.filter(pk=job.submission_id, status=Status.QUEUED).update(
        status=Status.RUNNING, running_at=now, run_owner=owner, heartbeat_at=now
    ):
        return True
    return bool(
        Submission.objects.filter(pk=job.submission_id, status=Status.RUNNING).update(
            run_owner=owner, heartbeat_at=now
        )
    )


def run_job_wanted(job: RunJob) -> bool:
    return Submission.objects.filter(
        pk=job.submission_id, status__in=(Status.QUEUED, Status.RUNNING)
    ).exists()


def run_job_cancelled(job: RunJob) -> None:
    """A run stopped by its submission's cancel: keep its SplitRun (outcome `cancelled`, the
    log tail and measurements) for the team and reviewers, per the disclosure rules
    (`submission_run_views`). It is no second Result: nothing is scored, and the submission
    stays cancelled."""
    _record_run(job)


def run_job_finished(job: RunJob) -> None:
    """Record the split's run; then the next split, the score step, or the failure."""
    _record_run(job)
    submission = Submission.objects.select_related("track").get(pk=job.submission_id)
    if submission.status != Status.RUNNING:
        return
    if job.outcome != "completed":
        submission_fail(
            submission_id=submission.pk,
            code=job.outcome,
            reason=run_failure_reason(job.split, job, submission.track),
            log_tail=_log_tails(submission),
        )
        return
    if submission_next_job(submission=submission) is not None:
        return
    if Submission.objects.filter(pk=submission.pk, status=Status.RUNNING).update(
        status=Status.SCORING,
        scoring_at=timezone.now(),
        last_sent_at=timezone.now(),
        log_tail=_log_tails(submission),
    ):
        submission_id = submission.pk
        transaction.on_commit(
            lambda: current_app.send_task(SCORE_TASK, (submission_id,), queue=SCORE_QUEUE)
        )


def split_score_run(*, submission: Submission, run: SplitRun) -> Result:
    """Validate and score one run's predictions against the split's sealed labels.

    Writes the Result with its provenance (once: a second call returns the first Result).
    Raises PredictionError (the team's output), TruthError (broken labels) or ValueError (a
    misconfigured track) for the caller to turn into its own failure."""
    track, split = submission.track, run.split
    score_started_at = timezone.now()
    try:
        evaluation = evaluate(
            track.task,
            Path(split.labels_path),
            Path(run.artifacts_dir) / PREDICTIONS_FILE,
            seed=settings.FORGERYBENCH_BOOTSTRAP_SEED,
            primary=track.primary_metric,
        )
    except (PredictionError, TruthError, ValueError):
        raise
    except Exception as exc:
        # Validation named no rule, yet reading what the container wrote failed: a container
        # can cause that on purpose, so it is the team's failure (organizers can rerun).
        logger.exception("split %s: predictions of run %s could not be processed", split, run.pk)
        raise PredictionError(BAD_OUTPUT, [(None, type(exc).__name__)]) from None
    report = evaluation.result
    # The unit table holds labels: it goes to the platform's own tree, never next to (or
    # through) anything the container wrote.
    units = unit_table_path(submission_id=submission.pk, split_name=split.name)
    units.parent.mkdir(parents=True, exist_ok=True)
    evaluation.table.save(units)
    # The disclosure policy of the phase the submission was made in, recorded with the
    # Result; with a public fraction, both parts scored each from its own units.
    phase = phase_at(benchmark_id=track.benchmark_id, moment=submission.created_at)
    parts: dict[str, Any] = {}
    if split.visibility == Split.Visibility.HIDDEN and phase is not None and phase.public_fraction:
        parts = score_parts(
            evaluation.table,
            fraction=phase.public_fraction,
            seed=phase.public_seed,
            primary=track.primary_metric,
            bootstrap_seed=settings.FORGERYBENCH_BOOTSTRAP_SEED,
        )
    # The Result, its provenance, stored predictions and audit entry commit together.
    with transaction.atomic():
        result, created = Result.objects.get_or_create(
            submission=submission,
            split=split,
            defaults={
                "metrics": report,
                "primary_value": report.get(track.primary_metric),
                "protocol_version": evaluator.PROTOCOL_VERSION,
                "evaluator_version": evaluator.__version__,
                "disclosure": policy_record(phase=phase),
                "parts": parts,
            },
        )
        if created:
            result_record_provenance(result=result, run=run, score_started_at=score_started_at)
    return result


def submission_score(*, submission_id: int) -> None:
    """Validate and score each split's predictions against the sealed labels; write Results."""
    submission = Submission.objects.select_related("track").get(pk=submission_id)
    if submission.status != Status.SCORING:
        logger.info("submission %s is %s; nothing to score", submission_id, submission.status)
        return
    track = submission.track
    runs = submission.runs.select_related("split").exclude(split__visibility=Split.Visibility.OOD)
    for run in sorted(runs, key=lambda r: run_order(r.split)):
        split = run.split
        try:
            split_score_run(submission=submission, run=run)
        except PredictionError as exc:
            # The full error (offenders named) for organizers; the team's reason is banded on
            # a hidden split.
            SplitRun.objects.filter(pk=run.pk).update(
                log_tail=f"{run.log_tail}\n[platform] invalid predictions: {exc}"[
                    -settings.FORGERYBENCH_LOG_TAIL_BYTES :
                ]
            )
            submission_fail(
                submission_id=submission.pk,
                code=exc.code,
                reason=prediction_failure_reason(split, exc, track),
            )
            return
        except TruthError as exc:
            # A broken labels file is the platform's fault, never the team's.
            submission_fail(
                submission_id=submission.pk,
                code="platform_error",
                reason=f"{split.name}: the split's labels could not be read; organizers notified",
            )
            logger.error("labels of split %s are broken: %s", split.pk, exc)
            return
        except ValueError as exc:
            # E.g. a track whose primary metric this split cannot give: an organizer's fix.
            submission_fail(
                submission_id=submission.pk,
                code="platform_error",
                reason=f"{split.name}: the track is misconfigured; organizers notified",
            )
            logger.error("track %s cannot score split %s: %s", track.pk, split.pk, exc)
            return
    with transaction.atomic():
        finished = submission_claim(
            submission_id=submission.pk, from_status=Status.SCORING, to_status=Status.FINISHED
        )
        if finished:
            submission_done.send_robust(sender=Submission, submission_id=submission.pk)
    if finished:
        track_results_changed(track=track)

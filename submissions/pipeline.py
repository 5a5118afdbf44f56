"""The two steps every submission goes through: run (untrusted zone), then score (trusted).

`submission_run` hands the runner only an image id, the split's inputs folder and limits;
labels are read only by `submission_score`.
"""

import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

import evaluator
from audit.provenance import result_record_provenance
from benchmarks.disclosure import phase_at, policy_record
from benchmarks.models import Split, Track
from benchmarks.services import track_results_changed
from evaluator.parts import score_parts
from evaluator.runner import RunLimits, RunOutcome, run_submission_container
from evaluator.scoring import evaluate
from evaluator.validation import PredictionError, TruthError

from .artifacts import PREDICTIONS_FILE, unit_table_path
from .images import docker_client
from .models import Result, SplitRun, Status, Submission
from .queues import SCORE_QUEUE
from .run_disclosure import BAD_OUTPUT, Limits, hidden_prediction_reason, hidden_run_message
from .services import (
    submission_claim,
    submission_claim_run,
    submission_fail,
    submission_heartbeat,
)

logger = logging.getLogger(__name__)


def run_limits_for(track: Track) -> RunLimits:
    return RunLimits(
        timeout_seconds=track.timeout_seconds,
        memory_mb=track.memory_mb,
        cpus=float(track.cpus),
        pids_limit=settings.FORGERYBENCH_PIDS_LIMIT,
        output_cap_mb=settings.FORGERYBENCH_OUTPUT_CAP_MB,
        tmpfs_mb=settings.FORGERYBENCH_TMPFS_MB,
        user=settings.FORGERYBENCH_RUN_USER,
        gpu=track.resource_class == Track.ResourceClass.GPU,
        log_tail_bytes=settings.FORGERYBENCH_LOG_TAIL_BYTES,
        allow_uncapped_output=settings.FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT,
        output_max_entries=settings.FORGERYBENCH_OUTPUT_MAX_FILES,
    )


def disclosure_limits(track: Track, split: Split) -> Limits:
    """The limits a hidden run's measurements are banded against."""
    return Limits(
        timeout_seconds=track.timeout_seconds,
        memory_mb=track.memory_mb,
        output_cap_mb=settings.FORGERYBENCH_OUTPUT_CAP_MB,
        sample_count=split.sample_count,
    )


def run_order(split: Split) -> tuple[bool, str]:
    """Public splits (debug, val) run and score first: a crash there is told in full, and a
    submission that fails there never touches the hidden split."""
    return (split.visibility != Split.Visibility.PUBLIC, split.name)


def run_failure_reason(split: Split, outcome: RunOutcome, track: Track) -> str:
    """The team's reason for a failed run: the runner's message on a public split, the
    platform's banded words on a hidden one (submissions.run_disclosure)."""
    if split.visibility == Split.Visibility.PUBLIC:
        return f"{split.name}: {outcome.message}"
    if outcome.outcome == "pids_limit":
        # "stopped by the process limit (N processes)": the platform's limit; an exit code
        # after it is the container's, and is left out.
        return f"{split.name}: {outcome.message.split(';')[0]}"
    message = hidden_run_message(
        outcome=outcome.outcome,
        exit_code=outcome.exit_code,
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


def artifacts_dir_for(submission: Submission, split: Split) -> Path:
    return Path(settings.FORGERYBENCH_ARTIFACTS_DIR) / str(submission.pk) / split.name


def _record_run(
    submission: Submission,
    split: Split,
    outcome: RunOutcome,
    artifacts: Path,
    only_if: dict[str, Any] | None = None,
) -> None:
    fields = {
        "container_id": outcome.container_id,
        "started_at": outcome.started_at,
        "ended_at": outcome.ended_at,
        "exit_code": outcome.exit_code,
        "outcome": outcome.outcome,
        "runtime_flags": outcome.runtime_flags,
        "artifacts_dir": str(artifacts),
        # The platform's own words end the log: on a hidden split, where the team sees only
        # banded measurements, organizers still read what exactly went wrong.
        "log_tail": outcome.log_tail
        + (f"\n[platform] {outcome.message}" if outcome.message else ""),
        "peak_memory_bytes": outcome.peak_memory_bytes,
        "output_bytes": outcome.output_bytes,
    }
    if only_if is not None:
        # A row that is its own unit of work: written only while still ours.
        SplitRun.objects.filter(submission=submission, split=split, **only_if).update(**fields)
        return
    SplitRun.objects.update_or_create(submission=submission, split=split, defaults=fields)


def _still_ours(submission_id: int, owner: str) -> Callable[[], bool]:
    """The runner's stop check: a heartbeat at most every few seconds, and True (stop) once
    the row is no longer running under this owner (cancelled, failed by the sweeper, taken
    over). A database blip keeps the container running: the next beat asks again."""
    last = 0.0

    def should_stop() -> bool:
        nonlocal last
        if time.monotonic() - last < settings.FORGERYBENCH_HEARTBEAT_SECONDS:
            return False
        last = time.monotonic()
        try:
            return not submission_heartbeat(submission_id=submission_id, owner=owner)
        except DatabaseError:
            logger.warning("submission %s: heartbeat failed; the run goes on", submission_id)
            return False

    return should_stop


def split_run_container(
    client: Any,
    *,
    submission: Submission,
    split: Split,
    limits: RunLimits,
    should_stop: Callable[[], bool] | None = None,
    owner_label: str = "org.forgerybench.submission",
    record_only_if: dict[str, Any] | None = None,
) -> RunOutcome:
    """Run the image on one split (no network, no labels) and record the SplitRun.

    `owner_label` names the submission on the container; the sweeper removes containers under
    the default label whose submission no live worker runs. `record_only_if`: record the
    outcome only on an existing row that still matches these fields."""
    artifacts = artifacts_dir_for(submission, split)
    outcome = run_submission_container(
        client,
        image_id=submission.image_id,
        inputs_dir=Path(split.inputs_dir),
        run_dir=Path(settings.FORGERYBENCH_RUNS_DIR) / f"{submission.pk}-{split.pk}",
        artifacts_dir=artifacts,
        limits=limits,
        run_key=f"{settings.FORGERYBENCH_INSTANCE}-{submission.pk}-{split.pk}",
        labels={
            owner_label: str(submission.pk),
            "org.forgerybench.instance": settings.FORGERYBENCH_INSTANCE,
        },
        should_stop=should_stop,
    )
    _record_run(submission, split, outcome, artifacts, record_only_if)
    return outcome


def submission_run(*, submission_id: int, gpu_device_ids: tuple[str, ...] = ()) -> None:
    """Run the submission's image on every split of its track, then queue scoring.

    `gpu_device_ids`: the GPU(s) this worker process holds for the run (see the task)."""
    owner = submission_claim_run(submission_id=submission_id)
    if owner is None:
        logger.info("submission %s is not queued, or a live worker runs it", submission_id)
        return
    submission = Submission.objects.select_related("track").get(pk=submission_id)
    limits = dataclasses.replace(run_limits_for(submission.track), gpu_device_ids=gpu_device_ids)
    client = docker_client()
    should_stop = _still_ours(submission.pk, owner)
    log_tails = []
    # The OOD tier runs only on final picks, at the organizer's reveal (submissions.ood).
    splits = submission.track.splits.exclude(visibility=Split.Visibility.OOD)
    for split in sorted(splits, key=run_order):
        outcome = split_run_container(
            client, submission=submission, split=split, limits=limits, should_stop=should_stop
        )
        if split.visibility == Split.Visibility.PUBLIC:
            # A hidden run's stdout/stderr is never shown to the team (run_disclosure).
            log_tails.append(f"== {split.name} ==\n{outcome.log_tail}")
        if outcome.outcome == "cancelled":
            # Cancelled or taken over: the row already says so; its new owner carries on.
            logger.info("submission %s: run on %s stopped", submission.pk, split.name)
            return
        if not outcome.succeeded:
            submission_fail(
                submission_id=submission.pk,
                code=outcome.outcome,
                reason=run_failure_reason(split, outcome, submission.track),
                log_tail="\n".join(log_tails)[-settings.FORGERYBENCH_LOG_TAIL_BYTES :],
            )
            return
    Submission.objects.filter(pk=submission.pk, run_owner=owner).update(
        log_tail="\n".join(log_tails)[-settings.FORGERYBENCH_LOG_TAIL_BYTES :]
    )
    with transaction.atomic():
        if Submission.objects.filter(
            pk=submission.pk, status=Status.RUNNING, run_owner=owner
        ).update(status=Status.SCORING, scoring_at=timezone.now(), last_sent_at=timezone.now()):
            from .tasks import score_submission

            transaction.on_commit(
                lambda: score_submission.apply_async((submission.pk,), queue=SCORE_QUEUE)
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
            from notifications.events import notify_submission_done  # the layer above

            notify_submission_done(submission_id=submission.pk)
    if finished:
        track_results_changed(track=track)

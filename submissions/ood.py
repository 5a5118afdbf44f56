"""Runs on the out-of-distribution tier: one final pick on one OOD split, after the reveal.

A normal submission never runs its OOD splits (see ``pipeline.submission_run``). At the reveal
each pick gets a ``SplitRun`` row in state ``queued``; the run step claims it by conditional
UPDATE (queued → running), runs the container with the pipeline's own helper, and hands over to
the score step, which writes the Result through the pipeline's scorer. The submission's status
never moves (it is finished); a failure here is recorded on the run row only, since the
submission's other results stand.

The run row is its own lease (``run_owner``, ``heartbeat_at``, ``last_sent_at``): the sweeper
(``ood_runs_sweep``) re-sends a queued run whose message was lost, returns a running run whose
worker stopped beating to queued, and re-sends the score message of a completed run left
without its Result, so a worker killed mid-run loses nothing.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from benchmarks.models import Split
from benchmarks.services import track_results_changed
from evaluator.validation import PredictionError, TruthError

from .images import docker_client
from .models import Result, SplitRun, Submission
from .pipeline import run_limits_for, split_run_container, split_score_run
from .queues import SCORE_QUEUE
from .services import _owner_is_gone, worker_identity

logger = logging.getLogger(__name__)

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"  # the runner's outcome for a container that ran to the end
# Not the sweeper's submission label: that one marks containers of running submissions.
OOD_LABEL = "org.forgerybench.ood-submission"


def ood_run_enqueue(*, submission: Submission, split: Split) -> bool:
    """Create the pick's queued run on ``split`` and send it once committed; False when the
    submission already has a run there (a second reveal or a second pick of it)."""
    if split.visibility != Split.Visibility.OOD:
        raise ValueError(f"split {split} is not an out-of-distribution split")
    _, created = SplitRun.objects.get_or_create(
        submission=submission,
        split=split,
        defaults={"outcome": QUEUED, "runtime_flags": {}, "last_sent_at": timezone.now()},
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
            # The row stays queued; the sweeper (or a second reveal click) sends it again.
            logger.exception("could not send the OOD run of %s on %s", submission_id, split_id)

    transaction.on_commit(send)


def ood_runs_resend(*, split_ids: list[int]) -> int:
    """Send again every OOD run still queued on these splits (the claim makes it harmless)."""
    runs = SplitRun.objects.filter(split_id__in=split_ids, outcome=QUEUED).select_related(
        "split__track"
    )
    count = 0
    for run in runs:
        _resend_run(run, timezone.now())
        count += 1
    return count


def _resend_run(run: SplitRun, now: datetime) -> None:
    SplitRun.objects.filter(pk=run.pk).update(last_sent_at=now)
    ood_run_send(
        submission_id=run.submission_id, split_id=run.split_id, queue=run.split.track.queue
    )


def _ood_claim(*, submission_id: int, split_id: int) -> str | None:
    """queued → running for this worker, or take over a running run whose owner died (a
    message redelivered after its worker was killed); None when there is nothing to do."""
    me, now = worker_identity(), timezone.now()
    runs = SplitRun.objects.filter(submission_id=submission_id, split_id=split_id)
    if runs.filter(outcome=QUEUED).update(
        outcome=RUNNING, started_at=now, run_owner=me, heartbeat_at=now
    ):
        return me
    row = runs.filter(outcome=RUNNING).values("run_owner", "heartbeat_at").first()
    if row is None or not _owner_is_gone(row["run_owner"], row["heartbeat_at"]):
        return None
    # Conditional on the owner and beat we saw: of two takers only one wins.
    taken = runs.filter(
        outcome=RUNNING, run_owner=row["run_owner"], heartbeat_at=row["heartbeat_at"]
    ).update(run_owner=me, heartbeat_at=now, started_at=now)
    return me if taken else None


def _ood_still_ours(run_filter: Q) -> Callable[[], bool]:
    """The runner's stop check: beat every few seconds; True (stop) once the run is no longer
    running under this owner (the sweeper gave it to another worker)."""
    last = 0.0

    def should_stop() -> bool:
        nonlocal last
        if time.monotonic() - last < settings.FORGERYBENCH_HEARTBEAT_SECONDS:
            return False
        last = time.monotonic()
        try:
            return not SplitRun.objects.filter(run_filter).update(heartbeat_at=timezone.now())
        except DatabaseError:
            logger.warning("OOD run heartbeat failed; the run goes on")
            return False

    return should_stop


def ood_run(*, submission_id: int, split_id: int, gpu_device_ids: tuple[str, ...] = ()) -> None:
    """Run a pick's image on one OOD split, then queue its scoring."""
    owner = _ood_claim(submission_id=submission_id, split_id=split_id)
    if owner is None:
        logger.info(
            "OOD run of %s on split %s: not queued, or a live worker runs it",
            submission_id,
            split_id,
        )
        return
    ours = Q(submission_id=submission_id, split_id=split_id, outcome=RUNNING, run_owner=owner)
    submission = Submission.objects.select_related("track").get(pk=submission_id)
    split = Split.objects.get(pk=split_id)
    limits = dataclasses.replace(run_limits_for(submission.track), gpu_device_ids=gpu_device_ids)
    outcome = split_run_container(
        docker_client(),
        submission=submission,
        split=split,
        limits=limits,
        owner_label=OOD_LABEL,
        should_stop=_ood_still_ours(ours),
        record_only_if={"outcome": RUNNING, "run_owner": owner},
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
    # Recorded only if still ours; then the score message's send time starts its deadline.
    if SplitRun.objects.filter(
        submission_id=submission_id, split_id=split_id, outcome=COMPLETED, run_owner=owner
    ).update(last_sent_at=timezone.now()):
        ood_score_send(submission_id=submission_id, split_id=split_id)


def ood_score_send(*, submission_id: int, split_id: int) -> None:
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


@dataclass
class OodSweep:
    resent: list[int] = field(default_factory=list)  # SplitRun ids whose run was sent again
    requeued: list[int] = field(default_factory=list)  # running → queued (owner gone)
    rescored: list[int] = field(default_factory=list)  # score message sent again


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


def _sent_before(cutoff: datetime) -> Q:
    return Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=cutoff)


def ood_runs_sweep(*, now: datetime) -> OodSweep:
    """Recover OOD runs a lost message or a killed worker left behind (run by the sweeper).

    Every move is a conditional UPDATE and every step claims its row, so a resend that races
    a live worker does nothing: never two containers for a run, never two Results."""
    report = OodSweep()
    lease = _seconds("FORGERYBENCH_RUN_LEASE_SECONDS")
    runs = SplitRun.objects.filter(split__visibility=Split.Visibility.OOD).select_related(
        "split__track"
    )
    # Running under an owner that stopped beating: back to queued (only if the row is still
    # as we saw it), then a fresh message for any worker to claim.
    for run in runs.filter(outcome=RUNNING).filter(
        Q(heartbeat_at__lt=now - lease)
        | Q(heartbeat_at__isnull=True, started_at__lt=now - lease)
        | Q(heartbeat_at__isnull=True, started_at__isnull=True)
    ):
        if SplitRun.objects.filter(
            pk=run.pk, outcome=RUNNING, run_owner=run.run_owner, heartbeat_at=run.heartbeat_at
        ).update(outcome=QUEUED, run_owner="", heartbeat_at=None, last_sent_at=now):
            ood_run_send(
                submission_id=run.submission_id, split_id=run.split_id, queue=run.split.track.queue
            )
            report.requeued.append(run.pk)
            logger.warning(
                "OOD run %s: owner %s stopped beating; queued again", run.pk, run.run_owner
            )
    cutoff = now - _seconds("FORGERYBENCH_REQUEUE_QUEUED_SECONDS")
    for run in runs.filter(outcome=QUEUED).filter(_sent_before(cutoff)):
        if (
            SplitRun.objects.filter(pk=run.pk, outcome=QUEUED)
            .filter(_sent_before(cutoff))
            .update(last_sent_at=now)
        ):
            ood_run_send(
                submission_id=run.submission_id, split_id=run.split_id, queue=run.split.track.queue
            )
            report.resent.append(run.pk)
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


def ood_live_submission_ids(*, submission_ids: list[int], now: datetime) -> set[int]:
    """Of these submissions, those with an OOD run under a live owner (its containers stay)."""
    lease = _seconds("FORGERYBENCH_RUN_LEASE_SECONDS")
    return set(
        SplitRun.objects.filter(
            submission_id__in=submission_ids, outcome=RUNNING, heartbeat_at__gte=now - lease
        ).values_list("submission_id", flat=True)
    )

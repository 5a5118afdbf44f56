"""The sweeper: the database is the source of truth, the broker only a doorbell.

Run periodically (celery beat, `submissions.sweep`). For each unfinished state it resends the
message of a submission that made no progress past the state's deadline, and fails it with
`platform_timeout` (never counted against a quota) past a final deadline:

| state   | resend when                               | fail when                            |
|---------|-------------------------------------------|--------------------------------------|
| queued  | last message older than REQUEUE_QUEUED    | queued longer than FAIL_QUEUED       |
| running | heartbeat older than the lease (owner gone)| longer than time limit x splits + grace |
| scoring | last message older than REQUEUE_SCORING   | scoring longer than FAIL_SCORING     |

Resending is always safe: every step claims its row by conditional UPDATE, so a duplicate finds
it moved (or owned by a live worker) and does nothing. It also removes orphaned containers: a
container of this installation whose submission is no longer running under a live owner.

OOD runs (one final pick on one OOD split, after the reveal) keep the same lease on their
``SplitRun`` row; ``ood.ood_runs_sweep`` recovers them in the same pass, and their containers
count as live while the run's owner beats.
"""

import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import docker
import docker.errors
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from .fairness import submission_run_priority
from .models import Status, Submission
from .ood import OOD_LABEL, OodSweep, ood_live_submission_ids, ood_runs_sweep
from .queues import SCORE_QUEUE
from .services import submission_fail

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    removed_containers: list[str] = field(default_factory=list)
    # OOD runs (SplitRun ids): run message sent again, taken back from a dead owner, rescored.
    ood_resent: list[int] = field(default_factory=list)
    ood_requeued: list[int] = field(default_factory=list)
    ood_rescored: list[int] = field(default_factory=list)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


def _send_run(submission: Submission, now: datetime) -> None:
    from .tasks import run_submission

    priority = submission_run_priority(submission=submission)
    run_submission.apply_async((submission.pk,), queue=submission.track.queue, priority=priority)
    Submission.objects.filter(pk=submission.pk).update(last_sent_at=now)


def _send_score(submission: Submission, now: datetime) -> None:
    from .tasks import score_submission

    score_submission.apply_async((submission.pk,), queue=SCORE_QUEUE)
    Submission.objects.filter(pk=submission.pk).update(last_sent_at=now)


def submission_requeue_stale(*, older_than: timedelta) -> list[int]:
    """Send a fresh run message for every submission queued longer than `older_than`."""
    now = timezone.now()
    stale = Submission.objects.filter(
        status=Status.QUEUED, queued_at__lt=now - older_than
    ).select_related("track")
    requeued = []
    for submission in stale:
        _send_run(submission, now)
        requeued.append(submission.pk)
        logger.info("requeued submission %s (queued since %s)", submission.pk, submission.queued_at)
    return requeued


def _last_sent_before(cutoff: datetime) -> Q:
    return Q(last_sent_at__isnull=True) | Q(last_sent_at__lt=cutoff)


def _sweep_queued(now: datetime, report: SweepReport) -> None:
    fail_after = _seconds("FORGERYBENCH_FAIL_QUEUED_SECONDS")
    queued = Submission.objects.filter(status=Status.QUEUED).select_related("track")
    for submission in queued.filter(queued_at__lt=now - fail_after):
        if submission_fail(
            submission_id=submission.pk,
            code="platform_timeout",
            reason=f"it waited in the queue for more than {fail_after} without being run; "
            "this is the platform's fault and does not count against your quota",
        ):
            report.failed.append(submission.pk)
    cutoff = now - _seconds("FORGERYBENCH_REQUEUE_QUEUED_SECONDS")
    for submission in queued.filter(queued_at__lt=cutoff).filter(_last_sent_before(cutoff)):
        _send_run(submission, now)
        report.requeued.append(submission.pk)


def _sweep_running(now: datetime, report: SweepReport) -> None:
    lease = _seconds("FORGERYBENCH_RUN_LEASE_SECONDS")
    grace = _seconds("FORGERYBENCH_FAIL_RUNNING_GRACE_SECONDS")
    running = (
        Submission.objects.filter(status=Status.RUNNING)
        .select_related("track")
        .annotate(split_count=Count("track__splits"))
    )
    for submission in running:
        budget = timedelta(seconds=submission.track.timeout_seconds * submission.split_count)
        if submission.running_at and submission.running_at < now - budget - grace:
            if submission_fail(
                submission_id=submission.pk,
                code="platform_timeout",
                reason=f"its run did not finish within {budget + grace} (time limit per split "
                "plus a margin); this is the platform's fault and does not count against "
                "your quota",
            ):
                report.failed.append(submission.pk)
            continue
        beat = submission.heartbeat_at or submission.running_at
        sent = submission.last_sent_at
        if beat and beat < now - lease and (sent is None or sent < now - lease):
            # Its worker is gone: a fresh message lets another worker take the run over.
            _send_run(submission, now)
            report.requeued.append(submission.pk)


def _sweep_scoring(now: datetime, report: SweepReport) -> None:
    fail_after = _seconds("FORGERYBENCH_FAIL_SCORING_SECONDS")
    scoring = Submission.objects.filter(status=Status.SCORING).select_related("track")
    for submission in scoring.filter(scoring_at__lt=now - fail_after):
        if submission_fail(
            submission_id=submission.pk,
            code="platform_timeout",
            reason=f"scoring did not finish within {fail_after}; this is the platform's fault "
            "and does not count against your quota",
        ):
            report.failed.append(submission.pk)
    cutoff = now - _seconds("FORGERYBENCH_REQUEUE_SCORING_SECONDS")
    for submission in scoring.filter(scoring_at__lt=cutoff).filter(_last_sent_before(cutoff)):
        _send_score(submission, now)
        report.requeued.append(submission.pk)


def submission_remove_orphans(*, client: docker.DockerClient, now: datetime) -> list[str]:
    """Remove this installation's containers whose submission no live worker is running
    (an OOD run's container: whose OOD run no live worker is running)."""
    lease = _seconds("FORGERYBENCH_RUN_LEASE_SECONDS")
    containers = client.containers.list(
        all=True, filters={"label": f"org.forgerybench.instance={settings.FORGERYBENCH_INSTANCE}"}
    )
    by_submission: dict[int, list] = {}
    by_ood: dict[int, list] = {}
    for container in containers:
        label = container.labels.get("org.forgerybench.submission", "")
        if label.isdigit():
            by_submission.setdefault(int(label), []).append(container)
        label = container.labels.get(OOD_LABEL, "")
        if label.isdigit():
            by_ood.setdefault(int(label), []).append(container)
    alive = set(
        Submission.objects.filter(
            pk__in=list(by_submission), status=Status.RUNNING, heartbeat_at__gte=now - lease
        ).values_list("pk", flat=True)
    )
    alive_ood = ood_live_submission_ids(submission_ids=list(by_ood), now=now)
    removed = []
    orphans = [(pk, found) for pk, found in by_submission.items() if pk not in alive]
    orphans += [(pk, found) for pk, found in by_ood.items() if pk not in alive_ood]
    for pk, found in orphans:
        for container in found:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)
                removed.append(container.name or container.id or "")
                logger.warning("removed orphaned container %s of submission %s", container.name, pk)
    return removed


def submission_sweep(*, now: datetime | None = None) -> SweepReport:
    """One pass over every unfinished submission, then over this installation's containers."""
    from .images import docker_client

    now = now or timezone.now()
    report = SweepReport()
    _sweep_queued(now, report)
    _sweep_running(now, report)
    _sweep_scoring(now, report)
    ood = ood_runs_sweep(now=now)
    report.ood_resent, report.ood_requeued, report.ood_rescored = (
        ood.resent,
        ood.requeued,
        ood.rescored,
    )
    try:
        report.removed_containers = submission_remove_orphans(client=docker_client(), now=now)
    except (RuntimeError, docker.errors.DockerException) as exc:
        logger.warning("sweeper: no Docker engine to look for orphaned containers: %s", exc)
    if report.requeued or report.failed or report.removed_containers or ood != OodSweep():
        logger.info(
            "sweeper: resent %s, failed %s, removed containers %s, OOD runs resent %s, "
            "requeued %s, rescored %s",
            report.requeued,
            report.failed,
            report.removed_containers,
            ood.resent,
            ood.requeued,
            ood.rescored,
        )
    return report

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
it moved (or owned by a live agent) and does nothing. Run jobs (every container: pipeline, OOD
and audit reruns) are recovered by ``runs.services.runjob_sweep`` in the same pass: a running
job whose agent stopped beating goes back to queued under a new attempt and is sent again. The
sweeper never talks to a Docker engine: each run agent removes the containers its own killed
processes left (runagent.job.remove_own_orphans), and a takeover removes the container of the
attempt it replaces.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from runs.services import runjob_sweep

from .models import Status, Submission
from .ood import ood_runs_sweep
from .queues import SCORE_QUEUE, SCORE_TASK
from .run_queue import submission_send_run
from .services import submission_fail

logger = logging.getLogger(__name__)


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    # Run jobs: queued ones sent again; running ones whose agent went silent, queued again.
    jobs_resent: list[int] = field(default_factory=list)
    jobs_requeued: list[int] = field(default_factory=list)
    # OOD runs (SplitRun ids) whose score message was sent again.
    ood_rescored: list[int] = field(default_factory=list)


def _seconds(name: str) -> timedelta:
    return timedelta(seconds=getattr(settings, name))


def _send_run(submission: Submission, now: datetime) -> None:
    submission_send_run(submission=submission)
    Submission.objects.filter(pk=submission.pk).update(last_sent_at=now)


def _send_score(submission: Submission, now: datetime) -> None:
    current_app.send_task(SCORE_TASK, (submission.pk,), queue=SCORE_QUEUE)
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
    grace = _seconds("FORGERYBENCH_FAIL_RUNNING_GRACE_SECONDS")
    running = (
        Submission.objects.filter(status=Status.RUNNING)
        .select_related("track")
        .annotate(split_count=Count("track__splits"))
    )
    for submission in running:
        budget = timedelta(seconds=submission.track.timeout_seconds * submission.split_count)
        overdue = submission.running_at and submission.running_at < now - budget - grace
        if overdue and submission_fail(
            submission_id=submission.pk,
            code="platform_timeout",
            reason=f"its run did not finish within {budget + grace} (time limit per split "
            "plus a margin); this is the platform's fault and does not count against "
            "your quota",
        ):
            report.failed.append(submission.pk)


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


def submission_sweep(*, now: datetime | None = None) -> SweepReport:
    """One pass over every unfinished submission and run job."""
    now = now or timezone.now()
    report = SweepReport()
    _sweep_queued(now, report)
    _sweep_running(now, report)
    _sweep_scoring(now, report)
    jobs = runjob_sweep(now=now)
    report.jobs_resent, report.jobs_requeued = jobs.resent, jobs.requeued
    report.ood_rescored = ood_runs_sweep(now=now).rescored
    if report.requeued or report.failed or jobs.resent or jobs.requeued or report.ood_rescored:
        logger.info(
            "sweeper: resent %s, failed %s, run jobs resent %s, run jobs requeued %s, "
            "OOD runs rescored %s",
            report.requeued,
            report.failed,
            jobs.resent,
            jobs.requeued,
            report.ood_rescored,
        )
    return report

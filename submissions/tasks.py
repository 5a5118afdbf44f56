"""Celery tasks of the Django workers (score queue): thin wrappers that take ids and call one
pipeline step. Runs are run jobs, carried out by run agents (runagent), never here.

A database that is briefly unreachable is retried with backoff (the message goes back to the
broker, the step is idempotent). Any other unexpected exception, or a database that stays
away, ends the submission as `platform_error` with the traceback in the worker log, never as
the team's failure.
"""

import contextlib
import logging

from celery import Task, shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from lib.logs import submission_context

from .pipeline import submission_score
from .queues import SCORE_TASK
from .services import submission_fail
from .sweeper import submission_sweep

logger = logging.getLogger(__name__)

# Connection-level faults only: a constraint or a bad query is a bug, not something to retry.
DB_UNREACHABLE = (OperationalError, InterfaceError)
DB_RETRIES = 6  # backoff 1, 2, 4, … 32 s: about a minute of outage is ridden out


def _platform_failure(submission_id: int, step: str) -> None:
    logger.exception("%s of submission %s crashed", step, submission_id)
    # With the database gone this cannot be written either; the sweeper ends it later.
    with contextlib.suppress(DatabaseError):
        submission_fail(
            submission_id=submission_id,
            code="platform_error",
            reason=f"the platform failed while {step} this submission; it does not count "
            "against your quota and organizers have been notified",
        )


def _retry_or_fail(task: Task, submission_id: int, step: str, exc: Exception) -> None:
    retries = task.request.retries
    if retries >= DB_RETRIES:
        _platform_failure(submission_id, step)
        return
    logger.warning(
        "%s submission %s: database unreachable (%s); retry %d in %d s",
        step,
        submission_id,
        exc.__class__.__name__,
        retries + 1,
        2**retries,
    )
    raise task.retry(exc=exc, countdown=2**retries, max_retries=DB_RETRIES)


@shared_task(bind=True, name=SCORE_TASK, acks_late=True, reject_on_worker_lost=True)
def score_submission(self: Task, submission_id: int) -> None:
    with submission_context(submission_id):
        try:
            submission_score(submission_id=submission_id)
        except DB_UNREACHABLE as exc:
            _retry_or_fail(self, submission_id, "scoring", exc)
        except Exception:
            _platform_failure(submission_id, "scoring")


@shared_task(name="submissions.sweep", acks_late=True)
def sweep_submissions() -> None:
    """Periodic (celery beat): resend or fail stale submissions, remove orphan containers."""
    submission_sweep()

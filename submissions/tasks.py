"""Celery tasks: thin wrappers that take ids and call one pipeline step.

A platform fault (an exception nobody expected) ends the submission as `platform_error`
with the traceback in the worker log, never as the team's failure.
"""

import logging

from celery import shared_task

from .pipeline import submission_run, submission_score
from .services import submission_fail

logger = logging.getLogger(__name__)


def _platform_failure(submission_id: int, step: str) -> None:
    logger.exception("%s of submission %s crashed", step, submission_id)
    submission_fail(
        submission_id=submission_id,
        code="platform_error",
        reason=f"the platform failed while {step} this submission; it does not count against "
        "your quota and organizers have been notified",
    )


@shared_task(name="submissions.run", acks_late=True, reject_on_worker_lost=True)
def run_submission(submission_id: int) -> None:
    try:
        submission_run(submission_id=submission_id)
    except Exception:
        _platform_failure(submission_id, "running")


@shared_task(name="submissions.score", acks_late=True, reject_on_worker_lost=True)
def score_submission(submission_id: int) -> None:
    try:
        submission_score(submission_id=submission_id)
    except Exception:
        _platform_failure(submission_id, "scoring")

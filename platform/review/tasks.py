"""Celery tasks of the review app: thin wrappers that take ids and call one service.

The task names keep their ``audit.`` prefix: messages queued before the review app existed
still find their task.
"""

import logging

from celery import shared_task
from django.db import transaction

from runs.models import RunJob

from .audit_tests import AuditTestUnavailable, audit_rerun_finish, result_run_audit_tests
from .selectors import result_get

logger = logging.getLogger(__name__)


@shared_task(name="audit.run_tests", acks_late=True, reject_on_worker_lost=True)
def run_audit_tests(result_id: int, actor: str) -> None:
    try:
        result_run_audit_tests(result=result_get(result_id=result_id), actor=actor)
    except AuditTestUnavailable as exc:
        logger.warning("audit tests of result %s not run: %s", result_id, exc)


@shared_task(name="audit.finish_rerun", acks_late=True, reject_on_worker_lost=True)
def finish_audit_rerun(job_id: int) -> None:
    """Compare an audit rerun's output with the stored predictions (score queue)."""
    try:
        audit_rerun_finish(job_id=job_id)
    except AuditTestUnavailable as exc:
        logger.warning("audit rerun job %s not compared: %s", job_id, exc)


def rerun_job_finished(job: RunJob) -> None:
    """The run-job callback of kind ``rerun``: the rerun's outcome is in, so queue the
    comparison on the score queue."""
    job_id = job.pk
    transaction.on_commit(lambda: finish_audit_rerun.apply_async((job_id,), queue="score"))

"""Celery tasks of the audit app: thin wrappers that take ids and call one service."""

import logging

from celery import shared_task

from .conformance import AuditTestUnavailable, audit_rerun_finish, result_run_audit_tests
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

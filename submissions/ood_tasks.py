"""Celery tasks of the OOD tier: thin wrappers over ``submissions.ood``."""

import logging

from celery import Task, shared_task

from .ood import ood_score
from .queues import OOD_SCORE_TASK
from .tasks import DB_RETRIES, DB_UNREACHABLE

logger = logging.getLogger(__name__)


@shared_task(bind=True, name=OOD_SCORE_TASK, acks_late=True, reject_on_worker_lost=True)
def score_ood_split(self: Task, submission_id: int, split_id: int) -> None:
    try:
        ood_score(submission_id=submission_id, split_id=split_id)
    except DB_UNREACHABLE as exc:
        raise self.retry(
            exc=exc, countdown=2**self.request.retries, max_retries=DB_RETRIES
        ) from exc

"""Celery tasks of notifications: thin wrappers over the services, on the `score` queue (the
trusted workers that hold the database; never a queue that runs teams' containers)."""

import logging
from datetime import timedelta

from celery import Task, shared_task
from django.utils import timezone

from .services import (
    INVITATION_TASK,
    SEND_TASK,
    digest_send_all,
    invitation_mail_send,
    notification_flush_pending,
    notification_send,
)

logger = logging.getLogger(__name__)

SEND_RETRIES = 5  # backoff 30 s, 60 s, … 8 min; after that the periodic flush tries again
FLUSH_AFTER = timedelta(minutes=10)


@shared_task(bind=True, name=SEND_TASK, acks_late=True)
def send_notifications(self: Task, notification_ids: list[int]) -> None:
    try:
        sent = notification_send(notification_ids=notification_ids)
    except Exception as exc:
        retries = self.request.retries
        logger.warning("mail for notifications %s failed (%s)", notification_ids, exc)
        if retries >= SEND_RETRIES:
            logger.error("giving up on %s for now; the flush retries later", notification_ids)
            return
        raise self.retry(exc=exc, countdown=30 * 2**retries, max_retries=SEND_RETRIES) from exc
    logger.info("mailed %d notification(s)", sent)


@shared_task(name="notifications.flush", acks_late=True)
def flush_notifications() -> None:
    """Periodic: mail notifications whose send message was lost or gave up."""
    sent = notification_flush_pending(older_than=timezone.now() - FLUSH_AFTER)
    if sent:
        logger.info("flush mailed %d notification(s)", sent)


@shared_task(name="notifications.digest", acks_late=True)
def send_digests() -> None:
    """Daily: one digest mail per person who chose the digest and has something waiting."""
    logger.info("sent %d digest(s)", digest_send_all())


@shared_task(bind=True, name=INVITATION_TASK, acks_late=True)
def send_invitation(self: Task, invitation_id: int) -> None:
    try:
        invitation_mail_send(invitation_id=invitation_id)
    except Exception as exc:
        retries = self.request.retries
        if retries >= SEND_RETRIES:
            logger.error("giving up on the mail of invitation %s", invitation_id)
            return
        raise self.retry(exc=exc, countdown=30 * 2**retries, max_retries=SEND_RETRIES) from exc

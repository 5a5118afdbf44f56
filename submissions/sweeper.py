"""Find submissions that a lost message left behind and queue them again.

A run is enqueued after its row commits; if the broker was down at that moment the row stays
`queued` with no message. Requeueing is always safe: the run step claims the row with a
conditional UPDATE, so a duplicate message finds it already moved and does nothing.
"""

import logging
from datetime import timedelta

from django.utils import timezone

from .models import Status, Submission

logger = logging.getLogger(__name__)


def submission_requeue_stale(*, older_than: timedelta) -> list[int]:
    """Send a fresh run message for every submission queued longer than `older_than`."""
    from .tasks import run_submission

    cutoff = timezone.now() - older_than
    stale = Submission.objects.filter(status=Status.QUEUED, queued_at__lt=cutoff).select_related(
        "track"
    )
    requeued = []
    for submission in stale:
        run_submission.apply_async((submission.pk,), queue=submission.track.queue)
        requeued.append(submission.pk)
        logger.info("requeued submission %s (queued since %s)", submission.pk, submission.queued_at)
    return requeued

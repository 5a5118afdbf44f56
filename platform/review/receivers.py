"""What the review app does when the layers below it report an event.

``connect`` is called once, from ``ReviewConfig.ready``.
"""

import functools
from typing import Any

from django.db import transaction

from audit.signals import log_verifying
from benchmarks.models import Split
from submissions.models import FinalPick, Result
from submissions.queues import SCORE_QUEUE
from submissions.selectors import result_filter_shown
from submissions.signals import final_pick_revealed

from .audit_tests import SUPPORTED
from .selectors import results_logged_mismatch
from .tasks import run_audit_tests


def queue_pick_audit_tests(
    sender: type[FinalPick], *, pick: FinalPick, **_: Any
) -> tuple[int, str]:
    """Queue the audit tests of a revealed final pick's shown results (not the OOD tier, which
    is only now queued to run), once the reveal commits."""
    track = pick.submission.track
    if track.task not in SUPPORTED:
        kinds = ", ".join(str(task) for task in SUPPORTED)
        return 0, f"#{pick.submission_id}: audit tests support {kinds} tracks, not {track.task}"
    results = result_filter_shown(results=Result.objects.filter(submission=pick.submission))
    queued = 0
    for result_id in results.exclude(split__visibility=Split.Visibility.OOD).values_list(
        "pk", flat=True
    ):
        transaction.on_commit(
            functools.partial(run_audit_tests.apply_async, (result_id, "system"), queue=SCORE_QUEUE)
        )
        queued += 1
    return queued, ""


def connect() -> None:
    """Connect every receiver (idempotent: each has a dispatch_uid)."""
    final_pick_revealed.connect(queue_pick_audit_tests, dispatch_uid="review.final_pick_audit")
    log_verifying.connect(results_logged_mismatch, dispatch_uid="review.results_logged")

"""Writes for submissions: intake and status transitions.

Status only moves by conditional UPDATE (`filter(status=…).update(…)`), so a task that is
delivered twice finds the row already moved and leaves it alone.
"""

import logging
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import Team
from benchmarks.models import Track

from .images import ImageIntakeError, image_load_tarball, image_resolve
from .models import Status, Submission

logger = logging.getLogger(__name__)

ACTIVE = (Status.QUEUED, Status.RUNNING, Status.SCORING)


class SubmissionRejected(ValueError):
    """The submission cannot be accepted; the message is shown to the team."""


def _check_fields(*, team: Team, track: Track, method_name: str, training_data: str) -> None:
    if not method_name.strip():
        raise SubmissionRejected("a method name is required")
    if not training_data.strip():
        raise SubmissionRejected(
            "declare the training data: a benchmark slug, or 'other: <description>'"
        )
    if track.splits.count() == 0:
        raise SubmissionRejected(f"track {track} has no data splits yet")


def submission_enqueue_run(*, submission: Submission) -> None:
    """Queue the run once the row is committed, on the queue of the track's resource class."""
    from .tasks import run_submission

    queue = submission.track.queue

    def send() -> None:
        try:
            run_submission.apply_async((submission.pk,), queue=queue)
        except Exception:
            # The row is committed and stays `queued`; the sweeper sends it again later.
            logger.exception(
                "could not enqueue submission %s; the sweeper will retry", submission.pk
            )

    transaction.on_commit(send)


def _create(
    *,
    team: Team,
    track: Track,
    user: User | None,
    image_id: str,
    image_reference: str,
    method_name: str,
    training_data: str,
    tarball_sha256: str = "",
    tarball_size: int | None = None,
) -> Submission:
    with transaction.atomic():
        submission = Submission.objects.create(
            team=team,
            track=track,
            submitted_by=user,
            method_name=method_name.strip(),
            training_data=training_data.strip(),
            image_id=image_id,
            image_reference=image_reference,
            tarball_sha256=tarball_sha256,
            tarball_size=tarball_size,
            status=Status.QUEUED,
            queued_at=timezone.now(),
        )
        submission_enqueue_run(submission=submission)
    logger.info("submission %s queued (image %s)", submission.pk, image_id)
    return submission


def submission_create_from_tarball(
    *,
    team: Team,
    track: Track,
    user: User | None,
    tarball_path: Path,
    tarball_sha256: str,
    tarball_size: int,
    method_name: str,
    training_data: str,
) -> Submission:
    """Load an uploaded `docker save` tarball and queue it. No row exists unless it loaded."""
    _check_fields(team=team, track=track, method_name=method_name, training_data=training_data)
    try:
        image = image_load_tarball(path=tarball_path)
    except ImageIntakeError as exc:
        raise SubmissionRejected(str(exc)) from None
    finally:
        tarball_path.unlink(missing_ok=True)
    return _create(
        team=team,
        track=track,
        user=user,
        image_id=image.id or "",
        image_reference=", ".join(image.tags),
        method_name=method_name,
        training_data=training_data,
        tarball_sha256=tarball_sha256,
        tarball_size=tarball_size,
    )


def submission_create_from_image(
    *,
    team: Team,
    track: Track,
    user: User | None,
    image_reference: str,
    method_name: str,
    training_data: str,
) -> Submission:
    """Queue an image that is already in the engine (baselines, organizer-run references)."""
    _check_fields(team=team, track=track, method_name=method_name, training_data=training_data)
    try:
        image = image_resolve(reference=image_reference)
    except ImageIntakeError as exc:
        raise SubmissionRejected(str(exc)) from None
    return _create(
        team=team,
        track=track,
        user=user,
        image_id=image.id or "",
        image_reference=image_reference,
        method_name=method_name,
        training_data=training_data,
    )


def submission_claim(*, submission_id: int, from_status: str, to_status: str) -> bool:
    """Move a submission between states; False when another worker got there first."""
    stamp_field = f"{to_status}_at"
    moved = Submission.objects.filter(pk=submission_id, status=from_status).update(
        status=to_status, **{stamp_field: timezone.now()}
    )
    return moved == 1


def submission_fail(*, submission_id: int, code: str, reason: str, log_tail: str = "") -> bool:
    """End an active submission as failed with a named reason shown to its team."""
    fields: dict[str, object] = {
        "status": Status.FAILED,
        "failed_at": timezone.now(),
        "failure_code": code,
        "failure_reason": reason,
    }
    if log_tail:
        fields["log_tail"] = log_tail
    moved = Submission.objects.filter(pk=submission_id, status__in=ACTIVE).update(**fields)
    if moved:
        logger.info("submission %s failed: %s (%s)", submission_id, code, reason)
    return moved == 1

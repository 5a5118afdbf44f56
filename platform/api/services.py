"""Turning a complete upload into a submission, exactly once per upload and per idempotency key."""

import hashlib
import logging
from uuid import UUID

from django.contrib.auth.models import User
from django.db import transaction

from submissions.models import Submission
from submissions.services import SubmissionRejected, submission_create_from_tarball

from .errors import ApiError
from .models import IdempotencyKey, UploadSession
from .uploads import upload_path

logger = logging.getLogger(__name__)


def _fingerprint(session_id: UUID | str) -> str:
    return hashlib.sha256(f"submission-from-upload:{session_id}".encode()).hexdigest()


def _replay(*, user: User, key: str, fingerprint: str) -> Submission | None:
    stored = IdempotencyKey.objects.select_related("submission").filter(user=user, key=key).first()
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise ApiError(
            "idempotency_key_reused",
            "this Idempotency-Key was already used for a different request; use a new key",
            status_code=422,
        )
    return stored.submission


def submission_create_from_upload(
    *, user: User, session_id: UUID | str, idempotency_key: str = ""
) -> tuple[Submission, bool]:
    """The submission of a complete upload, and whether this call created it.

    A retried request (same Idempotency-Key, or the same upload again) gets the submission
    the first request made; concurrent retries wait on row locks instead of racing.
    """
    fingerprint = _fingerprint(session_id)
    rejected: ApiError | None = None
    with transaction.atomic():
        if idempotency_key:
            # One keyed submission at a time per user: a key is checked and stored atomically.
            User.objects.select_for_update().filter(pk=user.pk).first()
            replayed = _replay(user=user, key=idempotency_key, fingerprint=fingerprint)
            if replayed is not None:
                return replayed, False
        session = (
            UploadSession.objects.select_for_update()
            .filter(pk=session_id, user=user)
            .select_related("team", "track")
            .first()
        )
        if session is None:
            raise ApiError("not_found", "no such upload", status_code=404)
        if session.submission_id is not None:
            submission = Submission.objects.get(pk=session.submission_id)
            created = False
        elif session.state == UploadSession.State.RECEIVING:
            raise ApiError(
                "upload_incomplete",
                f"{session.received} of {session.size} bytes have arrived; send the rest first",
                status_code=409,
                offset=session.received,
            )
        elif session.state != UploadSession.State.COMPLETE:
            raise ApiError(
                session.failure_code or f"upload_{session.state}",
                session.failure_message or f"this upload is {session.state}",
                status_code=409,
            )
        else:
            try:
                submission = submission_create_from_tarball(
                    team=session.team,
                    track=session.track,
                    user=user,
                    tarball_path=upload_path(session),
                    tarball_sha256=session.sha256,
                    tarball_size=session.size,
                    method_name=session.method_name,
                    training_data=session.training_data,
                    model_card=session.model_card,
                    license=session.license,
                )
            except SubmissionRejected as exc:
                # The service deleted the file; record why, and commit that record.
                UploadSession.objects.filter(pk=session.pk).update(
                    state=UploadSession.State.FAILED,
                    failure_code="image_rejected",
                    failure_message=str(exc),
                )
                rejected = ApiError("image_rejected", str(exc), status_code=422, reason=exc.code)
            else:
                UploadSession.objects.filter(pk=session.pk).update(
                    state=UploadSession.State.SUBMITTED, submission=submission
                )
                created = True
        if rejected is None and idempotency_key:
            IdempotencyKey.objects.create(
                user=user, key=idempotency_key, fingerprint=fingerprint, submission=submission
            )
    if rejected is not None:
        raise rejected
    return submission, created

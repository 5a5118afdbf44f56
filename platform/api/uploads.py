"""Resumable, chunked uploads of image tarballs: streamed to disk, constant memory.

A session is created with the file's total size and SHA-256. Chunks are written at the
offset the session has reached (a client that lost its connection asks for the offset and
goes on from there). When the last byte arrives the whole file is hashed from disk and
compared with the declared digest. One writer per session at a time (a file lock), so two
retries racing each other cannot interleave their bytes.
"""

import contextlib
import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO
from uuid import UUID

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Team
from benchmarks.models import Track
from submissions.selectors import submission_phase_refusal
from submissions.services import SubmissionRejected, submission_check_identity

from .errors import ApiError
from .models import UploadSession

logger = logging.getLogger(__name__)

BLOCK = 1024 * 1024
# An abandoned session's bytes are deleted after this long without a write.
SESSION_TTL = timedelta(hours=24)
MAX_OPEN_SESSIONS = 4
TAR_MAGIC_OFFSET = 257
GZIP_MAGIC = b"\x1f\x8b"
OPEN_STATES = (UploadSession.State.RECEIVING, UploadSession.State.COMPLETE)


def upload_path(session: UploadSession) -> Path:
    return Path(settings.FORGERYBENCH_UPLOAD_DIR) / "sessions" / f"{session.pk}.part"


def upload_session_expire_stale() -> int:
    """Expire sessions nobody wrote to for SESSION_TTL and delete their bytes."""
    cutoff = timezone.now() - SESSION_TTL
    expired = 0
    for session in UploadSession.objects.filter(state__in=OPEN_STATES, updated_at__lt=cutoff):
        moved = UploadSession.objects.filter(pk=session.pk, state=session.state).update(
            state=UploadSession.State.EXPIRED,
            failure_code="upload_expired",
            failure_message=f"no bytes arrived for {SESSION_TTL}; start a new upload",
        )
        if moved:
            upload_path(session).unlink(missing_ok=True)
            expired += 1
    return expired


def upload_session_create(
    *,
    user: User,
    team: Team,
    track: Track,
    method_name: str,
    training_data: str,
    size: int,
    sha256: str,
    model_card: str = "",
    license: str = "",
) -> UploadSession:
    limit = settings.FORGERYBENCH_MAX_UPLOAD_BYTES
    try:
        model_card, license = submission_check_identity(model_card=model_card, license=license)
    except SubmissionRejected as exc:
        raise ApiError("bad_identity", str(exc), status_code=400) from None
    if size > limit:
        raise ApiError(
            "too_large", f"the file is {size:,} bytes; the limit is {limit:,}", status_code=413
        )
    if not team.memberships.filter(user=user).exists():
        raise ApiError("not_a_member", f"you are not a member of team {team.slug}", 403)
    if not track.splits.exists():
        raise ApiError("track_not_ready", f"track {track} has no data splits yet", 409)
    # Refused before any byte is sent; the submission step checks again at the end.
    refusal = submission_phase_refusal(team=team, track=track, now=timezone.now())
    if refusal:
        raise ApiError("phase_closed", refusal, status_code=409)
    upload_session_expire_stale()
    if UploadSession.objects.filter(user=user, state__in=OPEN_STATES).count() >= MAX_OPEN_SESSIONS:
        raise ApiError(
            "too_many_uploads",
            f"you have {MAX_OPEN_SESSIONS} unfinished uploads; finish or delete one first",
            status_code=409,
        )
    session = UploadSession.objects.create(
        user=user,
        team=team,
        track=track,
        method_name=method_name.strip(),
        training_data=training_data.strip(),
        model_card=model_card,
        license=license,
        size=size,
        sha256=sha256.lower(),
    )
    path = upload_path(session)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return session


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[IO[bytes]]:
    """The session's file, open for writing, locked against a concurrent writer."""
    try:
        handle = path.open("r+b")
    except FileNotFoundError:
        raise ApiError(
            "upload_gone", "the upload's bytes are gone; start a new upload", 410
        ) from None
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ApiError(
                "upload_busy", "another request is writing to this upload; retry shortly", 409
            ) from None
        yield handle


def _fail(session: UploadSession, code: str, message: str) -> ApiError:
    UploadSession.objects.filter(pk=session.pk).update(
        state=UploadSession.State.FAILED, failure_code=code, failure_message=message
    )
    upload_path(session).unlink(missing_ok=True)
    return ApiError(code, message, status_code=422)


def _check_state(session: UploadSession) -> None:
    if session.state == UploadSession.State.RECEIVING:
        return
    if session.state in (UploadSession.State.COMPLETE, UploadSession.State.SUBMITTED):
        raise ApiError(
            "upload_complete", "every byte of this upload has arrived", 409, offset=session.size
        )
    raise ApiError(
        session.failure_code or f"upload_{session.state}",
        session.failure_message or f"this upload is {session.state}; start a new one",
        status_code=409,
    )


def _check_header(path: Path) -> bool:
    """A `docker save` tar (ustar magic at 257) or a gzip stream of one."""
    with path.open("rb") as handle:
        head = handle.read(TAR_MAGIC_OFFSET + 5)
    return head.startswith(GZIP_MAGIC) or head[TAR_MAGIC_OFFSET:] == b"ustar"


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def upload_session_write(
    *, session_id: UUID | str, user: User, offset: int, length: int, stream: IO[bytes]
) -> UploadSession:
    """Append `length` bytes from `stream` at `offset`; finish the upload at its last byte.

    A stream that ends early (the client's connection dropped) keeps the bytes that arrived:
    the session's offset moves to the end of them, ready for a resume.
    """
    session = upload_session_get(session_id=session_id, user=user)
    _check_state(session)
    path = upload_path(session)
    with _exclusive(path) as handle:
        session.refresh_from_db()
        _check_state(session)
        if offset != session.received:
            raise ApiError(
                "offset_mismatch",
                f"this upload has {session.received} bytes; send the chunk at that offset",
                status_code=409,
                offset=session.received,
            )
        if offset + length > session.size:
            raise ApiError(
                "chunk_too_large",
                f"{length} bytes at offset {offset} run past the declared size {session.size}",
                status_code=413,
                offset=session.received,
            )
        written = 0
        handle.seek(offset)
        try:
            while written < length:
                block = stream.read(min(BLOCK, length - written))
                if not block:
                    break
                handle.write(block)
                written += len(block)
        except OSError as exc:  # the client went away mid-chunk: keep what arrived
            logger.info("upload %s interrupted after %s bytes: %s", session.pk, written, exc)
        handle.flush()
        os.fsync(handle.fileno())
        received = offset + written
        UploadSession.objects.filter(pk=session.pk, received=offset).update(
            received=received, updated_at=timezone.now()
        )
        session.received = received
        if offset < TAR_MAGIC_OFFSET + 5 <= received and not _check_header(path):
            raise _fail(
                session,
                "not_a_tarball",
                "the file is neither a tar archive nor gzip-compressed: upload the output of "
                "`docker save IMAGE -o image.tar` (optionally gzipped)",
            )
        if received == session.size:
            _finish(session, path)
    session.refresh_from_db()
    return session


def _finish(session: UploadSession, path: Path) -> None:
    if session.size < TAR_MAGIC_OFFSET + 5 or not _check_header(path):
        raise _fail(session, "not_a_tarball", "the file is too small to be an image tarball")
    actual = _digest(path)
    if actual != session.sha256:
        raise _fail(
            session,
            "sha256_mismatch",
            f"the received bytes hash to {actual}, not the declared {session.sha256}; "
            "the file changed or was corrupted in transit: start a new upload",
        )
    UploadSession.objects.filter(pk=session.pk, state=UploadSession.State.RECEIVING).update(
        state=UploadSession.State.COMPLETE
    )


def upload_session_get(*, session_id: UUID | str, user: User) -> UploadSession:
    try:
        return UploadSession.objects.select_related("team", "track__benchmark").get(
            pk=session_id, user=user
        )
    except (UploadSession.DoesNotExist, ValueError, ValidationError):
        raise ApiError("not_found", "no such upload", status_code=404) from None


def upload_session_delete(*, session_id: UUID | str, user: User) -> None:
    """Abandon an upload and free its disk space (a submitted upload keeps its submission)."""
    session = upload_session_get(session_id=session_id, user=user)
    UploadSession.objects.filter(pk=session.pk, state__in=OPEN_STATES).update(
        state=UploadSession.State.EXPIRED,
        failure_code="upload_deleted",
        failure_message="this upload was deleted",
    )
    upload_path(session).unlink(missing_ok=True)

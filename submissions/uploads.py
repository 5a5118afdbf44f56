"""Stream uploaded image tarballs to disk in chunks, hashing as they arrive.

An image can be several GB: it never passes through memory whole, and an upload over the
size limit is dropped as soon as it crosses the limit.

Only the upload form writes file parts to disk: a file part sent to any other URL (the
login page, an API endpoint), by a visitor who is not signed in, or under another field name
is skipped unread. Whatever file a request did not consume is deleted when the request ends
(`UploadCleanupMiddleware`), whether its view accepted, refused or never ran.
"""

import hashlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse

UPLOAD_ERROR_ATTR = "forgerybench_upload_errors"
# The views (URL names) that take a file part, and the field each takes it in. The API's
# resumable upload writes its chunks itself, from the raw request body.
UPLOAD_VIEWS = {"submission-new": "image"}
# Views that take a file part from organizers (staff) only: a benchmark definition (YAML).
STAFF_UPLOAD_VIEWS = {"console-definition-new": "upload", "console-definition-edit": "upload"}


def upload_allowed(request: HttpRequest | None, field_name: str) -> bool:
    """True only for the upload form's image field, from a signed-in user, and for the
    console's definition upload, from an organizer."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return False
    user = getattr(request, "user", None)
    if STAFF_UPLOAD_VIEWS.get(match.url_name or "") == field_name:
        return bool(user is not None and user.is_authenticated and user.is_staff)
    if UPLOAD_VIEWS.get(match.url_name or "") != field_name:
        return False
    return bool(user is not None and user.is_authenticated)


class StreamedTarball(UploadedFile):
    """An upload already on disk, with its SHA-256 and size."""

    def __init__(self, path: Path, name: str, content_type: str, size: int, sha256: str):
        super().__init__(path.open("rb"), name, content_type, size)
        self.path = path
        self.sha256 = sha256

    def temporary_file_path(self) -> str:
        return str(self.path)

    def discard(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


class StreamingTarballUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.__dict__.pop("_handle", None)  # a handle of an earlier file is closed already
        if not upload_allowed(self.request, self.field_name or ""):
            raise SkipFile()  # read past, never written anywhere
        upload_dir = Path(settings.FORGERYBENCH_UPLOAD_DIR)
        upload_dir.mkdir(parents=True, exist_ok=True)
        # Closed in file_complete / upload_interrupted: it outlives this call by design.
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=upload_dir, suffix=".upload", delete=False
        )
        self._handle = handle
        self._path = Path(handle.name)
        self._digest = hashlib.sha256()
        self._size = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self._size += len(raw_data)
        limit = settings.FORGERYBENCH_MAX_UPLOAD_BYTES
        if self._size > limit:
            self._handle.close()
            self._path.unlink(missing_ok=True)
            errors = getattr(self.request, UPLOAD_ERROR_ATTR, [])
            errors.append(f"{self.file_name} is larger than the {limit:,}-byte upload limit")
            setattr(self.request, UPLOAD_ERROR_ATTR, errors)
            raise SkipFile()
        self._handle.write(raw_data)
        self._digest.update(raw_data)
        return None

    def file_complete(self, file_size: int) -> StreamedTarball:
        self._handle.close()
        return StreamedTarball(
            self._path,
            self.file_name or "upload.tar",
            self.content_type or "application/x-tar",
            self._size,
            self._digest.hexdigest(),
        )

    def upload_interrupted(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()
            self._path.unlink(missing_ok=True)


def upload_files_discard(request: HttpRequest) -> int:
    """Delete every streamed upload of `request` still on disk; returns how many were."""
    files = request.__dict__.get("_files")  # set only when the body was parsed
    if not files:
        return 0
    discarded = 0
    for _field, uploads in files.lists():
        for upload in uploads:
            if isinstance(upload, StreamedTarball) and upload.path.exists():
                upload.discard()
                discarded += 1
    return discarded


class UploadCleanupMiddleware:
    """Outermost: whatever happened inside (a 403 from the CSRF check, a redirect to the
    login page, a refused form, an exception), no upload outlives its request unconsumed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            upload_files_discard(request)

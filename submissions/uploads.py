"""Stream uploaded image tarballs to disk in chunks, hashing as they arrive.

An image can be several GB: it never passes through memory whole, and an upload over the
size limit is dropped as soon as it crosses the limit.
"""

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

UPLOAD_ERROR_ATTR = "forgerybench_upload_errors"


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

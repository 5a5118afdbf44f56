"""Export a local image through the docker SDK and upload it in resumable chunks."""

import gzip
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import docker
import requests

from .client import Api, ApiError

CHUNK = 64 * 1024 * 1024
RETRIES = 8
# Network failures that a resume fixes; anything else is reported.
TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class _HashingWriter:
    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.handle.flush()


@dataclass(frozen=True)
class Exported:
    path: Path
    size: int
    sha256: str
    image_id: str


def image_export(
    client: docker.DockerClient,
    reference: str,
    folder: Path,
    *,
    compress: bool,
    on_bytes: Callable[[int], None],
) -> Exported:
    """`docker save` the image to a file in `folder`, hashing it on the way (constant memory)."""
    image = client.images.get(reference)
    image_id = image.id or reference
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{image_id.split(':')[-1][:24]}.tar{'.gz' if compress else ''}"
    with path.open("wb") as raw:
        writer = _HashingWriter(raw)
        sink: Any = (
            gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=1, mtime=0)
            if compress
            else writer
        )
        for block in image.save(chunk_size=1024 * 1024, named=True):
            sink.write(block)
            on_bytes(len(block))
        if compress:
            sink.close()
    return Exported(
        path=path, size=writer.size, sha256=writer.digest.hexdigest(), image_id=image_id
    )


def _state_path(exported: Exported) -> Path:
    return exported.path.with_name(exported.path.name + ".upload.json")


def upload_start(api: Api, exported: Exported, fields: dict[str, Any]) -> dict[str, Any]:
    """Reuse an unfinished upload of the same file (an earlier run was cut off), else start one."""
    state = _state_path(exported)
    if state.is_file():
        try:
            saved = json.loads(state.read_text())
            if saved.get("sha256") == exported.sha256 and saved.get("server") == api.server:
                session = api.get(f"/api/v1/uploads/{saved['upload']}/")
                if session["state"] in ("receiving", "complete"):
                    return session
        except (ValueError, KeyError, ApiError, *TRANSIENT):
            pass
    session = api.post(
        "/api/v1/uploads/", {**fields, "size": exported.size, "sha256": exported.sha256}
    )
    state.write_text(
        json.dumps({"server": api.server, "upload": session["id"], "sha256": exported.sha256})
    )
    return session


def upload_send(
    api: Api,
    session: dict[str, Any],
    path: Path,
    *,
    on_offset: Callable[[int], None],
    on_bytes: Callable[[int], None],
    on_retry: Callable[[Exception, int], None],
    chunk: int = CHUNK,
) -> dict[str, Any]:
    """Send the file from the session's offset; on a dropped connection ask where to resume."""
    upload_id, size = session["id"], session["size"]
    offset = session["offset"]
    on_offset(offset)
    failures = 0
    with path.open("rb") as handle:
        while session["state"] == "receiving":
            try:
                length = min(chunk, size - offset)
                session = api.send_chunk(upload_id, handle, offset, length, on_bytes)
                offset = session["offset"]
                failures = 0
            except TRANSIENT as exc:
                failures += 1
                if failures > RETRIES:
                    raise
                on_retry(exc, failures)
                time.sleep(min(2 ** (failures - 1) * 0.5, 15))
                session, offset = _where(api, upload_id, offset)
            except ApiError as exc:
                if exc.code not in ("offset_mismatch", "upload_busy"):
                    raise
                time.sleep(0.5)
                session, offset = _where(api, upload_id, offset)
            on_offset(offset)
    return session


def _where(api: Api, upload_id: str, fallback: int) -> tuple[dict[str, Any], int]:
    try:
        session = api.get(f"/api/v1/uploads/{upload_id}/")
    except TRANSIENT:
        return {"id": upload_id, "state": "receiving", "offset": fallback}, fallback
    return session, session["offset"]


def submission_create(api: Api, upload_id: str) -> tuple[dict[str, Any], bool]:
    """Submit the upload. The upload id is the idempotency key, so retries are always safe."""
    failures = 0
    while True:
        try:
            response = api.request(
                "POST",
                "/api/v1/submissions/",
                json={"upload": upload_id},
                headers={"Idempotency-Key": f"upload-{upload_id}"},
                timeout=(10, 3600),  # the server loads the image before answering
            )
            return response.json(), response.status_code == 201
        except TRANSIENT:
            failures += 1
            if failures > RETRIES:
                raise
            time.sleep(min(2**failures, 15))


def upload_forget(exported: Exported) -> None:
    _state_path(exported).unlink(missing_ok=True)
    exported.path.unlink(missing_ok=True)

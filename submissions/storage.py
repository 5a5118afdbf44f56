"""Per-sample predictions in trusted storage: one deterministic ``predictions.tar.gz`` per
scored split (``predictions.jsonl`` plus any mask files it names) and a copy of the unit table.

Archives are byte-for-byte reproducible (sorted members, zero mtimes, fixed owner), so their
SHA-256 recorded in the provenance identifies the content. The unit table holds labels: it is
for reviewers and rescoring, never for a team's download or an audit bundle.

Where they are kept is Django's ``artifacts`` storage (settings: FORGERYBENCH_ARTIFACT_STORAGE).
The filesystem storage's folder is the audit folder, so files are written in place (atomically)
and recorded by absolute path. Any other backend (an S3-compatible bucket through
django-storages) gets each finished file through the storage API; the record then holds
``storage:<name>``, and every read (:func:`checked`) fetches a fresh local copy and checks its
digest, so a changed object is caught the same way as a changed file.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages

from evaluator.splitformat import PREDICTIONS_FILE, file_sha256
from evaluator.validation.errors import PredictionError
from evaluator.validation.files import (
    check_no_symlink,
    jsonl_lines,
    jsonl_objects,
    open_regular,
    safe_relative,
)

PREDICTIONS_ARCHIVE = "predictions.tar.gz"
UNITS_FILE = "units.npz"
# A recorded location in the artifact storage (not a local path).
STORAGE_PREFIX = "storage:"
# gzip level of the archive: 6 packs predictions within a few percent of 9 at a fraction of
# the time (the archive is written on every score).
ARCHIVE_COMPRESSLEVEL = 6


# The failure code of output that validated but could not be packed for the audit trail.
OUTPUT_NOT_STORED = "bad_output"


class StoredPredictionsError(ValueError):
    """Stored predictions are missing, changed since scoring, or unreadable."""


@dataclass(frozen=True)
class StoredFile:
    path: Path
    sha256: str
    size: int


def artifact_storage() -> Storage:
    return storages["artifacts"]


def _storage_root(storage: Storage) -> Path | None:
    """The folder of a filesystem storage; None for a remote one."""
    try:
        return Path(storage.path("")).resolve()
    except NotImplementedError:
        return None


def _publish(stored: StoredFile) -> StoredFile:
    """Hand a finished local file under the audit folder to a remote artifact storage."""
    storage = artifact_storage()
    audit = Path(settings.FORGERYBENCH_AUDIT_DIR).resolve()
    local = stored.path.resolve()
    if _storage_root(storage) is not None or not local.is_relative_to(audit):
        return stored  # the filesystem storage: already where it belongs
    with local.open("rb") as handle:
        name = storage.save(local.relative_to(audit).as_posix(), File(handle))
    local.unlink()
    return StoredFile(Path(STORAGE_PREFIX + name), stored.sha256, stored.size)


def local_copy(location: Path | str) -> Path:
    """A local file with the content recorded at ``location`` (a path, or storage:<name>).

    A stored object is fetched afresh on every call, never served from an old copy."""
    text = str(location)
    if not text.startswith(STORAGE_PREFIX):
        return Path(text)
    name = text.removeprefix(STORAGE_PREFIX)
    storage = artifact_storage()
    folder = Path(settings.DATA_DIR) / "cache" / "artifacts" / Path(name).parent
    folder.mkdir(parents=True, exist_ok=True)
    try:
        source = storage.open(name, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise StoredPredictionsError(f"stored file {name} is missing: {exc}") from None
    except Exception as exc:  # the backend's own errors (botocore's ClientError, ...)
        if not storage.exists(name):
            raise StoredPredictionsError(f"stored file {name} is missing") from None
        raise StoredPredictionsError(f"stored file {name} cannot be read: {exc}") from None
    with source, tempfile.NamedTemporaryFile(dir=folder, delete=False) as copy:
        shutil.copyfileobj(source, copy, 1 << 20)
    target = folder / Path(name).name
    Path(copy.name).replace(target)
    return target


def audit_dir_for(*, submission_id: int, split_name: str) -> Path:
    return Path(settings.FORGERYBENCH_AUDIT_DIR) / "predictions" / str(submission_id) / split_name


def _open_output(path: Path) -> BinaryIO:
    """A container-written file, opened only through the validator (no link, regular only)."""
    try:
        return open_regular(path, error=PredictionError)
    except PredictionError as exc:
        raise StoredPredictionsError(f"{path.name} cannot be stored: {exc}") from None


def _referenced_files(predictions: Path) -> list[str]:
    """Relative mask paths named by the predictions (already validated by the scorer)."""
    names: set[str] = set()
    with _open_output(predictions) as raw:
        for _, record in jsonl_objects(raw):  # binary lines: split on \n, as validated
            mask = record.get("mask")
            if isinstance(mask, str):
                names.add(mask)
    return sorted(names)


def _add(tar: tarfile.TarFile, source: Path, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with _open_output(source) as handle:
        info.size = os.fstat(handle.fileno()).st_size
        tar.addfile(info, handle)


def predictions_archive_write(*, predictions: Path, destination: Path) -> StoredFile:
    """Pack ``predictions`` and the masks it names into a reproducible tar.gz."""
    root = predictions.parent
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    try:
        with (
            partial.open("wb") as raw,
            gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=ARCHIVE_COMPRESSLEVEL
            ) as zipped,
            tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            _add(tar, predictions, predictions.name)
            for name in _referenced_files(predictions):
                relative = safe_relative(name)
                if relative is None or check_no_symlink(root, relative) is not None:
                    raise StoredPredictionsError(f"mask {name} is not a file under the predictions")
                _add(tar, root / relative, relative.as_posix())
    except Exception as exc:
        # What the container wrote passed validation yet cannot be stored: the team's
        # output, so the team's counted failure (never the platform's uncounted one).
        partial.unlink(missing_ok=True)
        raise PredictionError(OUTPUT_NOT_STORED, [(None, type(exc).__name__)]) from None
    partial.replace(destination)
    return _publish(StoredFile(destination, file_sha256(destination), destination.stat().st_size))


def units_copy(*, units: Path, destination: Path) -> StoredFile | None:
    if not units.is_file():
        return None
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(units, destination)
    return _publish(StoredFile(destination, file_sha256(destination), destination.stat().st_size))


def checked(location: Path | str, expected_sha256: str) -> Path:
    """The stored file (a local copy of a stored object), after checking it still has the
    digest recorded when it was written."""
    path = local_copy(location)
    if not path.is_file():
        raise StoredPredictionsError(f"stored file {path.name} is missing")
    actual = file_sha256(path)
    if actual != expected_sha256:
        raise StoredPredictionsError(
            f"stored file {path.name} changed since scoring: "
            f"SHA-256 {actual}, recorded {expected_sha256}"
        )
    return path


def predictions_archive_extract(*, archive: Path, expected_sha256: str, into: Path) -> Path:
    """Unpack a checked archive into ``into``; returns the predictions.jsonl path."""
    archive = checked(archive, expected_sha256)
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            tar.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise StoredPredictionsError(f"stored predictions cannot be unpacked: {exc}") from None
    predictions = into / PREDICTIONS_FILE
    if not predictions.is_file():
        raise StoredPredictionsError("stored predictions hold no predictions.jsonl")
    return predictions


def predictions_jsonl_bytes(*, archive: Path, expected_sha256: str) -> bytes:
    """Just the predictions.jsonl of a checked archive (for per-sample comparisons)."""
    archive = checked(archive, expected_sha256)
    with tarfile.open(archive, mode="r:gz") as tar:
        member = tar.extractfile(PREDICTIONS_FILE)
        if member is None:
            raise StoredPredictionsError("stored predictions hold no predictions.jsonl")
        return member.read()


def read_jsonl(data: bytes) -> list[dict[str, Any]]:
    """The objects of stored (validated) predictions, lines split as the validator splits."""
    return [record for _, record in jsonl_objects(jsonl_lines(data))]

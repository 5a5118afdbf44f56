"""Output bundles: stored as uploaded (checked against their sha256), unpacked by the platform.

The platform unpacks a bundle with the evaluator's own rules (evaluator.outbundle), into a
folder it creates itself: only regular files come out, every member checked again.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

from evaluator.outbundle import BundleLimits, PackReport, unpack_bundle


class BundleError(ValueError):
    """The upload is not the bundle announced (size or hash)."""


def bundle_path(job_id: int, attempt: int) -> Path:
    folder = Path(settings.FORGERYBENCH_AGENT_CACHE_DIR) / "bundles"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"job-{job_id}-{attempt}.tar"


def bundle_store(*, chunks: Iterable[bytes], target: Path, sha256: str, max_bytes: int) -> None:
    digest, size = hashlib.sha256(), 0
    partial = target.with_suffix(".part")
    try:
        with partial.open("wb") as handle:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise BundleError(f"the bundle is larger than {max_bytes} bytes")
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != sha256:
            raise BundleError("the bundle does not match its X-Content-SHA256")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def bundle_unpack(*, bundle: Path, destination: Path, limits: BundleLimits) -> PackReport:
    """Unpack `bundle` into a fresh `destination` (an earlier attempt's copy is removed)."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    return unpack_bundle(bundle, destination, limits=limits)

"""The public val sample of a track as one archive: inputs, truth and the run limits.

`forgerybench validate` downloads it once and runs a team's image on it locally. Only public
splits are ever packed (their labels are shown to teams anyway). The archive is built once
per content (named by the split's input and label digests) and served from disk.

Of the labels folder only what scoring reads travels: the truth file and its masks. Never the
provenance (ids back to source files), the import record or the recipe: they would map ids to
public file names, and so to the ids of hidden splits made the same way.
"""

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

from django.conf import settings

import evaluator
from benchmarks.models import Split, Track

# Part of every archive's file name: a new layout never serves an archive packed by older code.
ARCHIVE_LAYOUT = 2


class SplitNotPublic(PermissionError):
    """Hidden splits never leave the scoring side."""


def split_archive_name(split: Split) -> str:
    track = split.track
    return f"{track.benchmark.slug}-{track.slug}-{split.name}.tar.gz"


def split_archive_etag(split: Split) -> str:
    return f"{split.inputs_sha256[:16]}-{split.labels_sha256[:16]}"


def split_sample_description(split: Split, track: Track) -> dict[str, object]:
    """What the archive's sample.json holds: enough to run and score exactly as the platform."""
    return {
        "protocol": evaluator.PROTOCOL_VERSION,
        "benchmark": track.benchmark.slug,
        "track": track.slug,
        "split": split.name,
        "task": track.task,
        "primary_metric": track.primary_metric,
        "timeout_seconds": track.timeout_seconds,
        "memory_mb": track.memory_mb,
        "cpus": float(track.cpus),
        "gpu": track.resource_class == Track.ResourceClass.GPU,
        # The platform's runner settings, so a local run uses the very same flags.
        "pids_limit": settings.FORGERYBENCH_PIDS_LIMIT,
        "output_cap_mb": settings.FORGERYBENCH_OUTPUT_CAP_MB,
        "tmpfs_mb": settings.FORGERYBENCH_TMPFS_MB,
        "run_user": settings.FORGERYBENCH_RUN_USER,
        "log_tail_bytes": settings.FORGERYBENCH_LOG_TAIL_BYTES,
        "sample_count": split.sample_count,
        "inputs_sha256": split.inputs_sha256,
        "labels_sha256": split.labels_sha256,
        "inputs": "inputs",
        "truth": f"labels/{Path(split.labels_path).name}",
    }


def _no_links(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    # Only regular files and folders: nothing that could point outside the archive.
    return info if info.isfile() or info.isdir() else None


def split_archive_build(*, split: Split) -> Path:
    if split.visibility != Split.Visibility.PUBLIC:
        raise SplitNotPublic(f"split {split.name} is hidden; only public splits can be downloaded")
    track = split.track
    description = json.dumps(split_sample_description(split, track), indent=2).encode()
    folder = Path(settings.DATA_DIR) / "archives"
    # Named by content and by the description (limits change with the track's settings).
    key = f"{split_archive_etag(split)}-{hashlib.sha256(description).hexdigest()[:8]}"
    path = folder / f"{split.pk}-{key}-l{ARCHIVE_LAYOUT}.tar.gz"
    if path.is_file():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        info = tarfile.TarInfo("sample.json")
        info.size = len(description)
        info.mode = 0o644
        archive.addfile(info, io.BytesIO(description))
        archive.add(split.inputs_dir, arcname="inputs", filter=_no_links)
        truth = Path(split.labels_path)
        archive.add(truth, arcname=f"labels/{truth.name}", filter=_no_links)
        if (truth.parent / "masks").is_dir():
            archive.add(truth.parent / "masks", arcname="labels/masks", filter=_no_links)
    # Concurrent builders write their own partial file; the last rename wins, all equal.
    os.replace(partial, path)
    return path

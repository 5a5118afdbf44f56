"""A folder the container sees as /input, as a tar archive named by its sha256.

Agents fetch inputs by this hash and keep them cached; the platform keeps one archive per hash
too, and remembers which hash a folder had (by the names, sizes and times of its files) so an
unchanged split is archived once. Only regular files and folders go into the archive: a link
in an inputs folder is never followed.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings


def _cache() -> Path:
    folder = Path(settings.FORGERYBENCH_AGENT_CACHE_DIR) / "inputs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _entries(folder: Path) -> list[tuple[str, Path, os.stat_result]]:
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(dirs + files):
            path = Path(root) / name
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode):
                found.append((path.relative_to(folder).as_posix(), path, info))
    return found


def _signature(folder: Path, entries: list[tuple[str, Path, os.stat_result]]) -> str:
    digest = hashlib.sha256(str(folder.resolve()).encode())
    for name, _path, info in entries:
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_mode}\n".encode())
    return digest.hexdigest()


def inputs_archive(folder: Path) -> str:
    """The sha256 of `folder`'s archive, building (and caching) the archive if needed."""
    entries = _entries(folder)
    cache = _cache()
    index = cache / "index" / _signature(folder, entries)
    if index.is_file():
        sha = index.read_text().strip()
        if (cache / f"{sha}.tar").is_file():
            return sha
    with tempfile.NamedTemporaryFile(dir=cache, prefix=".build-", delete=False) as handle:
        scratch = Path(handle.name)
    try:
        with tarfile.open(scratch, "w", format=tarfile.PAX_FORMAT) as tar:
            for name, path, info in entries:
                member = tarfile.TarInfo(name)
                member.mtime = 0
                if stat.S_ISDIR(info.st_mode):
                    member.type, member.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(member)
                else:
                    member.size, member.mode = info.st_size, 0o644
                    with path.open("rb") as source:
                        tar.addfile(member, source)
        digest = hashlib.sha256()
        with scratch.open("rb") as built:
            while chunk := built.read(1024 * 1024):
                digest.update(chunk)
        sha = digest.hexdigest()
        os.replace(scratch, cache / f"{sha}.tar")
    finally:
        scratch.unlink(missing_ok=True)
    index.parent.mkdir(exist_ok=True)
    index.write_text(sha)
    return sha


def inputs_archive_path(sha256: str) -> Path | None:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        return None
    path = _cache() / f"{sha256}.tar"
    return path if path.is_file() else None

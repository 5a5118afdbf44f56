"""Inputs by content hash: downloaded once per agent, kept read-only in the cache.

A job's spec names its inputs by the sha256 of their tar archive. The agent keeps one
unpacked, read-only folder per hash; a second job on the same split finds it there and
downloads nothing. What the archive holds is checked against the hash before unpacking, and
only regular files and folders come out of it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import stat
import tarfile
import tempfile
from pathlib import Path

from .client import Claim, PlatformClient


class InputsError(RuntimeError):
    """The inputs could not be fetched or do not match their hash."""


def _read_only(folder: Path) -> None:
    for root, dirs, files in os.walk(folder):
        for name in files:
            os.chmod(Path(root) / name, 0o444)
        for name in dirs:
            os.chmod(Path(root) / name, 0o555)
    os.chmod(folder, 0o555)


def _unpack(archive: Path, into: Path) -> None:
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() or m.isdir() or m.islnk()]
        tar.extractall(into, members=members, filter="data")


def inputs_folder(client: PlatformClient, claim: Claim, sha256: str, cache: Path) -> Path:
    """The unpacked inputs of hash `sha256`, fetched through `claim` if not cached yet."""
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise InputsError(f"malformed inputs hash {sha256!r}")
    root = cache / "inputs"
    root.mkdir(parents=True, exist_ok=True)
    folder = root / sha256
    if folder.is_dir():
        return folder
    # One download per hash on this machine, whatever the agent's concurrency.
    with (root / f"{sha256}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if folder.is_dir():
            return folder
        with tempfile.TemporaryDirectory(dir=root, prefix=".fetch-") as scratch:
            archive = Path(scratch) / "inputs.tar"
            got = client.download(claim, f"inputs/{sha256}", archive)
            if got != sha256:
                raise InputsError(f"inputs archive hash {got} does not match {sha256}")
            unpacked = Path(scratch) / "unpacked"
            unpacked.mkdir()
            _unpack(archive, unpacked)
            _read_only(unpacked)
            unpacked.rename(folder)
    return folder


def inputs_forget(folder: Path) -> None:
    """Remove a cached inputs folder (read-only, so make it writable first)."""
    if not folder.exists():
        return
    for root, dirs, _files in os.walk(folder):
        os.chmod(root, stat.S_IRWXU)
        for name in dirs:
            with contextlib.suppress(OSError):
                os.chmod(Path(root) / name, stat.S_IRWXU)
    shutil.rmtree(folder, ignore_errors=True)

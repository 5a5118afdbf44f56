"""A size-capped, writable /output for one container run.

Docker cannot cap a bind mount and a tmpfs loses its files with the container, so each run
gets its own small ext4 filesystem in a sparse file, loop-mounted on the host: a writer hits
ENOSPC at the cap, and the files outlive the container so the platform can collect them.
"""

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from .outbundle import BundleLimits, PackReport, pack_output, unpack_bundle


class OutputCapUnavailable(RuntimeError):
    """The host cannot loop-mount a capped filesystem (not root, no loop devices)."""


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise OutputCapUnavailable(
            f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.strip()}"
        )


@contextlib.contextmanager
def capped_output(run_dir: Path, *, cap_mb: int, owner: str) -> Iterator[Path]:
    """Yield a folder owned by `owner` ("uid:gid") that holds at most `cap_mb` MiB.

    The filesystem is unmounted and its backing file deleted on exit; copy what you need
    out of the folder before leaving the block.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    image = run_dir / "output.img"
    mount_point = run_dir / "output"
    if os.path.ismount(mount_point):
        # Left mounted by a worker that was killed mid-run: detach it before reusing the file.
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)
    image.unlink(missing_ok=True)
    mount_point.mkdir(exist_ok=True)
    with image.open("wb") as handle:
        handle.truncate(cap_mb * 1024 * 1024)
    mounted = False
    try:
        # No journal: a scratch filesystem that dies with the run needs none, and the 32 MiB
        # journal would be most of what mkfs writes (0.7 MiB without it, at any cap).
        _run(
            [
                "mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal",
                "-E", f"root_owner={owner},nodiscard", str(image),
            ]
        )  # fmt: skip
        _run(["mount", "-o", "loop,nosuid,nodev,noexec", str(image), str(mount_point)])
        mounted = True
        # lost+found is root's; the container neither needs nor can use it.
        shutil.rmtree(mount_point / "lost+found", ignore_errors=True)
        yield mount_point
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)
        image.unlink(missing_ok=True)


@contextlib.contextmanager
def uncapped_output(run_dir: Path, *, owner: str) -> Iterator[Path]:
    """A plain folder for hosts that cannot loop-mount (size is not capped: opt-in only)."""
    folder = run_dir / "output"
    folder.mkdir(parents=True, exist_ok=True)
    uid, gid = (int(part) for part in owner.split(":"))
    with contextlib.suppress(PermissionError):
        os.chown(folder, uid, gid)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def collect_output(
    source: Path, destination: Path, *, bundle: Path, limits: BundleLimits
) -> PackReport:
    """Carry what a container wrote into trusted storage, as data.

    `/output` is packed into `bundle` (regular files only; links, hard-link twins, devices,
    FIFOs and sockets are named, never carried or opened) and the bundle is unpacked, checked
    again, into a fresh `destination`. The report names every entry left behind; a fatal
    report (too many files, too many bytes) leaves no `destination` at all.
    """
    if destination.exists():
        shutil.rmtree(destination)  # a redelivered run's earlier copy
    destination.parent.mkdir(parents=True, exist_ok=True)
    bundle.unlink(missing_ok=True)
    try:
        packed = pack_output(source, bundle, limits=limits)
        if not packed.ok:
            return packed
        unpacked = unpack_bundle(bundle, destination, limits=limits)
    finally:
        bundle.unlink(missing_ok=True)
    unpacked.refused[:0] = packed.refused
    return unpacked

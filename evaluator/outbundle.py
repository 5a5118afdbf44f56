"""A container's /output as data: packed into a bundle of regular files, unpacked elsewhere.

What a container wrote is hostile. `pack_output` walks its folder through directory file
descriptors without following any link and carries only regular files into an uncompressed
tar: a symlink, a second name of a hard-linked inode, a device, FIFO or socket is never
carried (nor opened) and each is named in the report. Every byte carried is a byte actually
read, counted against one total budget, so a sparse file or a hard-linked twin cannot
multiply the cap. File count, depth and name rules (UTF-8, no control characters) bound the
work whatever the folder holds.

`unpack_bundle` is the platform's side: it trusts nothing the packer said, checks every
member against the same rules, and writes only regular files under a destination it creates
itself (which must not exist yet). Neither side imports Django; the run agent packs, the
platform unpacks.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

BLOCK = 1024 * 1024

# Why an entry was not carried; named in the run's outcome.
REFUSED_CODES = (
    "symlink",  # a symbolic link, at any name
    "hardlink",  # a second (or later) name of an inode already carried
    "device",  # a character or block device
    "fifo",  # a named pipe (never opened: opening would block)
    "socket",
    "bad_name",  # not UTF-8, a control character, too long
    "too_deep",  # deeper than the depth limit
    "unreadable",  # vanished or could not be opened as a regular file
    "not_regular",  # a bundle member that is not a regular file (unpack side)
    "duplicate",  # a bundle member whose name was already written (unpack side)
)

# Why the whole output was refused; the run ends as the team's failure with this code.
FATAL_CODES = ("output_too_large", "output_too_many_files", "bad_bundle")


@dataclass(frozen=True)
class BundleLimits:
    """One total budget for the whole output, and bounds on its shape."""

    max_total_bytes: int = 1024 * 1024 * 1024
    # Files and folders together: a walk over 100,000 tiny files stops at the limit.
    max_entries: int = 20_000
    max_depth: int = 16
    max_name_bytes: int = 255
    max_path_bytes: int = 1024


@dataclass(frozen=True)
class Refused:
    path: str  # printable: undecodable bytes and control characters are escaped
    code: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.code}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class PackReport:
    """What was carried, what was not and why; `fatal` set means the output is refused."""

    files: int = 0
    bytes_read: int = 0
    entries_seen: int = 0
    refused: list[Refused] = field(default_factory=list)
    fatal: str = ""
    fatal_detail: str = ""

    @property
    def ok(self) -> bool:
        return not self.fatal

    def refuse(self, path: str, code: str, detail: str = "") -> None:
        self.refused.append(Refused(path, code, detail))

    def stop(self, code: str, detail: str) -> None:
        self.fatal, self.fatal_detail = code, detail


class _Stop(Exception):
    """The walk or the unpack hit a whole-output limit (recorded in the report)."""


def printable(name: str) -> str:
    """A name as it can be shown and stored: undecodable bytes and controls escaped."""
    raw = os.fsencode(name)
    text = raw.decode("utf-8", errors="backslashreplace")
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def name_problem(name: str, limits: BundleLimits) -> str:
    """Why one path component is refused ("" when it is fine)."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "not UTF-8"
    if not name or name in (".", "..") or "/" in name:
        return "not a plain name"
    if any(ord(c) < 32 or ord(c) == 127 or 0x80 <= ord(c) < 0xA0 for c in name):
        return "a control character"
    if len(encoded) > limits.max_name_bytes:
        return f"longer than {limits.max_name_bytes} bytes"
    return ""


def _path_problem(parts: tuple[str, ...], limits: BundleLimits) -> tuple[str, str]:
    """(code, detail) for a relative path given as components; ("", "") when fine."""
    for part in parts:
        problem = name_problem(part, limits)
        if problem:
            return "bad_name", problem
    if len(parts) > limits.max_depth:
        return "too_deep", f"deeper than {limits.max_depth} levels"
    if len("/".join(parts).encode("utf-8")) > limits.max_path_bytes:
        return "bad_name", f"path longer than {limits.max_path_bytes} bytes"
    return "", ""


_KIND = (
    (stat.S_ISLNK, "symlink"),
    (stat.S_ISCHR, "device"),
    (stat.S_ISBLK, "device"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
)


def _kind(mode: int) -> str:
    for test, code in _KIND:
        if test(mode):
            return code
    return "not_regular"


class _Reader:
    """Reads exactly `size` bytes of an open file, or fails (a file that shrank)."""

    def __init__(self, fd: int, size: int):
        self.fd, self.left = fd, size

    def read(self, n: int = -1) -> bytes:
        want = self.left if n < 0 else min(n, self.left)
        data = os.read(self.fd, want) if want else b""
        self.left -= len(data)
        return data


class _Packer:
    def __init__(self, tar: tarfile.TarFile, limits: BundleLimits, report: PackReport):
        self.tar, self.limits, self.report = tar, limits, report
        self.inodes: set[tuple[int, int]] = set()

    def walk(self, dir_fd: int, parts: tuple[str, ...]) -> None:
        with os.scandir(dir_fd) as scan:
            names = []
            for entry in scan:
                self.report.entries_seen += 1
                if self.report.entries_seen > self.limits.max_entries:
                    self.report.stop(
                        "output_too_many_files",
                        f"/output holds more than {self.limits.max_entries:,} files and folders",
                    )
                    raise _Stop
                names.append(entry.name)
        for name in sorted(names):
            self.entry(dir_fd, name, (*parts, name))

    def entry(self, dir_fd: int, name: str, parts: tuple[str, ...]) -> None:
        shown = "/".join(printable(p) for p in parts)
        code, detail = _path_problem(parts, self.limits)
        if code:
            self.report.refuse(shown, code, detail)
            return
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError as exc:
            self.report.refuse(shown, "unreadable", exc.strerror or "")
            return
        if stat.S_ISDIR(info.st_mode):
            self.folder(dir_fd, name, parts, shown)
        elif stat.S_ISREG(info.st_mode):
            self.file(dir_fd, name, parts, shown, info)
        else:
            # Never opened: a FIFO would block, a device would read the host.
            self.report.refuse(shown, _kind(info.st_mode))

    def folder(self, dir_fd: int, name: str, parts: tuple[str, ...], shown: str) -> None:
        if len(parts) >= self.limits.max_depth:
            self.report.refuse(shown, "too_deep", f"deeper than {self.limits.max_depth} levels")
            return
        flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, dir_fd=dir_fd)
        except OSError as exc:
            self.report.refuse(shown, _refusal_for(exc), exc.strerror or "")
            return
        try:
            self.walk(fd, parts)
        finally:
            os.close(fd)

    def file(
        self, dir_fd: int, name: str, parts: tuple[str, ...], shown: str, seen: os.stat_result
    ) -> None:
        # O_NONBLOCK: were the entry swapped for a FIFO after the lstat, opening won't block.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(name, flags, dir_fd=dir_fd)
        except OSError as exc:
            self.report.refuse(shown, _refusal_for(exc), exc.strerror or "")
            return
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (
                seen.st_dev,
                seen.st_ino,
            ):
                self.report.refuse(shown, _kind(info.st_mode), "changed while read")
                return
            key = (info.st_dev, info.st_ino)
            if key in self.inodes:
                self.report.refuse(shown, "hardlink", "a second name of a file already carried")
                return
            self.inodes.add(key)
            left = self.limits.max_total_bytes - self.report.bytes_read
            if info.st_size > left:
                self.report.stop(
                    "output_too_large",
                    f"{shown} ({info.st_size:,} bytes) takes /output past its "
                    f"{self.limits.max_total_bytes:,}-byte budget",
                )
                raise _Stop
            member = tarfile.TarInfo("/".join(parts))
            member.size, member.mode, member.mtime = info.st_size, 0o644, 0
            try:
                self.tar.addfile(member, _Reader(fd, info.st_size))
            except (OSError, tarfile.ReadError) as exc:
                # Shrank while read: the tar is now inconsistent, so the whole bundle goes.
                self.report.stop("bad_bundle", f"{shown} could not be read whole ({exc})")
                raise _Stop from None
            self.report.bytes_read += info.st_size
            self.report.files += 1
        finally:
            os.close(fd)


def _refusal_for(exc: OSError) -> str:
    return "symlink" if exc.errno in (errno.ELOOP, errno.ENOTDIR) else "unreadable"


def pack_output(source: Path, bundle: Path, *, limits: BundleLimits) -> PackReport:
    """Pack the regular files under `source` into the tar `bundle` (created, not appended).

    `source` itself must be a real folder (not a link). On a fatal report the bundle is
    deleted: nothing of a refused output is kept.
    """
    report = PackReport()
    root = os.open(source, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        with (
            _exclusive(bundle) as handle,
            tarfile.TarFile(
                fileobj=handle, mode="w", format=tarfile.PAX_FORMAT, copybufsize=BLOCK
            ) as tar,
            contextlib.suppress(_Stop),
        ):
            _Packer(tar, limits, report).walk(root, ())
    finally:
        os.close(root)
    if report.fatal:
        bundle.unlink(missing_ok=True)
    return report


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[IO[bytes]]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(fd, "wb", buffering=BLOCK) as handle:
        yield handle


def unpack_bundle(bundle: Path, destination: Path, *, limits: BundleLimits) -> PackReport:
    """Write the bundle's regular files under `destination`, which this call creates.

    Every member is checked again (type, name, depth, count, one total size budget); a
    member that fails is named and skipped; a whole-bundle limit stops the unpack with a
    fatal report and removes what was written.
    """
    report = PackReport()
    destination.mkdir(mode=0o755)  # fresh: raises if anything is already there
    root = os.open(destination, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        with tarfile.TarFile(bundle, mode="r", copybufsize=BLOCK) as tar:
            _unpack(tar, root, limits, report)
    except tarfile.TarError as exc:
        report.stop("bad_bundle", f"the output bundle is not a readable tar ({exc})")
    finally:
        os.close(root)
    if report.fatal:
        _remove_tree(destination)
    return report


def _unpack(tar: tarfile.TarFile, root: int, limits: BundleLimits, report: PackReport) -> None:
    written: set[str] = set()
    with _Folders(root) as folders:
        for member in tar:
            if not _unpack_one(tar, member, folders, limits, report, written):
                return


class _Folders:
    """The folder of the file being written, kept open while files of the same folder follow
    (the packer writes them together), made and entered one component at a time with
    O_NOFOLLOW."""

    def __init__(self, root: int):
        self.root = root
        self.parts: tuple[str, ...] = ()
        self.fd = os.dup(root)

    def __enter__(self) -> _Folders:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

    def enter(self, parts: tuple[str, ...]) -> int:
        if parts == self.parts:
            return self.fd
        dir_fd = os.dup(self.root)
        try:
            for part in parts:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=dir_fd)
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
                next_fd = os.open(part, flags, dir_fd=dir_fd)
                os.close(dir_fd)
                dir_fd = next_fd
        except OSError:
            os.close(dir_fd)
            raise
        os.close(self.fd)
        self.fd, self.parts = dir_fd, parts
        return dir_fd


def _unpack_one(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    folders: _Folders,
    limits: BundleLimits,
    report: PackReport,
    written: set[str],
) -> bool:
    """Check and write one member; False when a whole-bundle limit stops the unpack."""
    report.entries_seen += 1
    if report.entries_seen > limits.max_entries:
        report.stop("output_too_many_files", f"more than {limits.max_entries:,} entries")
        return False
    name = member.name
    parts = PurePosixPath(name).parts
    shown = printable(name)
    if not member.isreg():
        report.refuse(shown, "not_regular", f"tar type {member.type!r}")
        return True
    if PurePosixPath(name).is_absolute() or name.endswith("/") or not parts:
        report.refuse(shown, "bad_name", "not a relative path")
        return True
    code, detail = _path_problem(parts, limits)
    if code:
        report.refuse(shown, code, detail)
        return True
    if name in written:
        report.refuse(shown, "duplicate")
        return True
    if member.size > limits.max_total_bytes - report.bytes_read:
        report.stop("output_too_large", f"{shown} takes the bundle past its byte budget")
        return False
    source = tar.extractfile(member)
    if source is None:
        report.refuse(shown, "not_regular")
        return True
    try:
        _write(folders.enter(parts[:-1]), parts[-1], source, member.size)
    except OSError as exc:
        report.refuse(shown, _refusal_for(exc), exc.strerror or str(exc))
        return True
    written.add(name)
    report.files += 1
    report.bytes_read += member.size
    return True


def _write(dir_fd: int, name: str, source: IO[bytes], size: int) -> None:
    """Create `name` in the open folder `dir_fd`: a new regular file, never through a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(name, flags, 0o644, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "wb", buffering=0) as out:
            left = size
            while left:
                block = source.read(min(BLOCK, left))
                if not block:
                    raise OSError(errno.EIO, "the bundle ended inside this file")
                out.write(block)
                left -= len(block)
    except OSError:
        os.unlink(name, dir_fd=dir_fd)  # no half-written file is left behind
        raise


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

"""Reading files from an untrusted folder without following links or reading unbounded data.

A submission's ``/output`` is written by code we do not trust: a ``predictions.jsonl`` or mask
could be a symlink to a label file, a path could climb out with ``..``, a file could be huge.
Files are opened with ``O_NOFOLLOW`` and checked with ``fstat`` on the open descriptor, so what is
checked is what is read.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from evaluator.validation.errors import Offender, PredictionError, TruthError

DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024

ErrorType = type[PredictionError] | type[TruthError]


class Collector:
    """Gathers offenders per error code so one error can list all of them, not just the first."""

    def __init__(self, error: ErrorType):
        self.error = error
        self.by_code: dict[str, list[Offender]] = {}

    def add(self, code: str, line: int | None, detail: str) -> None:
        self.by_code.setdefault(code, []).append((line, detail))

    def raise_if_any(self) -> None:
        """Raise for the code whose first offender comes first in the file, carrying every
        other code found too (in file order), so one report lists all the problems."""
        if not self.by_code:
            return
        ordered = sorted(self.by_code, key=lambda c: _line_key(self.by_code[c][0][0]))
        first, rest = ordered[0], ordered[1:]
        raise self.error(
            first, self.by_code[first], others={code: self.by_code[code] for code in rest}
        )


def _line_key(line: int | None) -> int:
    return line if line is not None else 1 << 62


def read_bytes(
    path: Path, *, max_bytes: int, error: ErrorType, allow_symlink: bool, head: int | None = None
) -> bytes:
    """Read a regular file (its first ``head`` bytes if given), refusing symlinks (unless
    trusted) and files over ``max_bytes``."""
    flags = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
    if not allow_symlink:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error("missing_file", [(None, f"{path.name}: no such file")]) from None
    except OSError as exc:
        if not allow_symlink and os.path.islink(path):
            raise error("symlink", [(None, f"{path.name} is a symbolic link")]) from None
        raise error("missing_file", [(None, f"{path.name}: {exc.strerror}")]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error("missing_file", [(None, f"{path.name} is not a regular file")])
        if info.st_size > max_bytes:
            detail = f"{path.name} is {info.st_size} bytes, the limit is {max_bytes}"
            raise error("file_too_large", [(None, detail)])
        with os.fdopen(os.dup(fd), "rb") as handle:
            # read(n) allocates n bytes up front: ask for what fstat says, plus one to see growth
            data = handle.read(min(info.st_size, max_bytes) + 1 if head is None else head)
        if len(data) > max_bytes:  # grew after fstat
            raise error("file_too_large", [(None, f"{path.name} exceeds {max_bytes} bytes")])
        return data
    finally:
        os.close(fd)


def open_regular(path: Path, *, error: ErrorType) -> BinaryIO:
    """Open a file from an untrusted folder for streaming: never through a link (the file or a
    folder on the way, relative to its parent) and only a regular file (a FIFO is never
    waited on)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error("missing_file", [(None, f"{path.name}: no such file")]) from None
    except OSError as exc:
        if os.path.islink(path):
            raise error("symlink", [(None, f"{path.name} is a symbolic link")]) from None
        raise error("missing_file", [(None, f"{path.name}: {exc.strerror}")]) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise error("missing_file", [(None, f"{path.name} is not a regular file")])
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def jsonl_lines(data: bytes) -> list[bytes]:
    """The lines of a JSONL file exactly as the validator reads them: split on ``\\n`` only
    (a ``\\r`` is JSON whitespace, never a line end), one trailing newline dropped."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def jsonl_objects(lines: Iterable[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line_number, object)`` for each line that is a JSON object, the rest skipped.

    For reading output the validator already judged (or a rerun's, compared loosely): the
    lines must come from :func:`jsonl_lines` or a binary file's iteration (both split on
    ``\\n`` only), so every reader sees the lines the validator saw. Never raises on content.
    """
    for number, raw in enumerate(lines, start=1):
        try:
            value = json.loads(raw.decode("utf-8", errors="replace"))
        except (ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            yield number, value


def read_jsonl(
    path: Path, *, max_bytes: int, error: ErrorType, allow_symlink: bool
) -> list[tuple[int, dict[str, Any]]]:
    """Every line as ``(line_number, object)``; one ``bad_json`` error lists all bad lines.

    A single trailing newline is fine; any other blank line is an error, since strict means a
    line that was meant to say something and does not is reported, not skipped.
    """
    data = read_bytes(path, max_bytes=max_bytes, error=error, allow_symlink=allow_symlink)
    errors = Collector(error)
    lines = jsonl_lines(data)
    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(lines, start=1):
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            errors.add("bad_json", number, "not UTF-8")
            continue
        except json.JSONDecodeError as exc:
            errors.add("bad_json", number, f"{exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            errors.add("bad_json", number, "nested too deeply")
            continue
        if not isinstance(value, dict):
            errors.add("bad_json", number, f"a JSON {type(value).__name__}, not an object")
            continue
        parsed.append((number, value))
    errors.raise_if_any()
    if not parsed:
        raise error("empty_file", [(None, f"{path.name} holds no lines")])
    return parsed


def safe_relative(raw: object) -> PurePosixPath | None:
    """The path as a clean relative POSIX path, or None when it is absolute or climbs out."""
    if not isinstance(raw, str) or not raw or "\x00" in raw or "\\" in raw:
        return None
    rel = PurePosixPath(raw)
    if rel.is_absolute() or any(part in ("..", "") for part in rel.parts):
        return None
    return rel


def check_no_symlink(base: Path, rel: PurePosixPath) -> str | None:
    """Name the first component of ``base/rel`` that is a symlink, or None.

    The final open also uses ``O_NOFOLLOW``; this walk catches linked folders on the way.
    """
    current = base
    for part in rel.parts:
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return str(PurePosixPath(*current.relative_to(base).parts))
        except FileNotFoundError:
            return None  # reported as missing_file when opened
        except OSError:
            return None
    return None

"""What a test session left behind, found at its end rather than as a hung CI run.

A child process or a non-daemon thread still alive when pytest finishes holds the
interpreter at exit (multiprocessing joins its children; threading joins its threads), and
descriptors leaked test after test end in `select()` failing on numbers above 1023. The
session fails on either, naming what it found, and a process that could not exit is ended
after the report instead of hanging until the CI limit.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from collections import Counter

import pytest

# A long session keeps a few pools (database, engine, broker) open; far below select()'s limit.
MAX_OPEN_DESCRIPTORS = 400

_stuck = False


def _descriptor_kinds() -> Counter[str]:
    kinds: Counter[str] = Counter()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        kinds[target.split(":")[0] if ":" in target else "file"] += 1
    return kinds


def _threads_left() -> list[threading.Thread]:
    main = threading.main_thread()
    return [t for t in threading.enumerate() if t is not main and not t.daemon and t.is_alive()]


@pytest.hookimpl(trylast=True)  # after session fixtures are torn down
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    global _stuck
    problems: list[str] = []
    children = multiprocessing.active_children()
    for child in children:
        problems.append(f"child process {child.name} (pid {child.pid}) still running; killed")
        child.kill()
        child.join(5)
    threads = _threads_left()
    problems += [f"non-daemon thread {thread.name!r} still running" for thread in threads]
    kinds = _descriptor_kinds()
    if sum(kinds.values()) > MAX_OPEN_DESCRIPTORS:
        problems.append(f"{sum(kinds.values())} descriptors open at the end: {dict(kinds)}")
    if problems:
        sys.stderr.write("\nsession leaks:\n" + "".join(f"  {p}\n" for p in problems))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    _stuck = bool(threads)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _stuck:
        # A thread that never ends would hold the interpreter forever; its report is out.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(int(pytest.ExitCode.TESTS_FAILED))

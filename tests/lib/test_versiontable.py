"""lib.versiontable: counters every process of a machine reads from shared memory, bumped under
a lock, never repeating a value (even when the file is lost), and the shared cache's counters
where the cache is not one machine's."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from lib import versiontable
from lib.versiontable import CacheVersions, VersionTable, versions

SECRET = b"test-only-secret"


@pytest.fixture
def table(tmp_path: Path) -> VersionTable:
    return VersionTable(str(tmp_path / "cache" / versiontable.FILENAME), secret=SECRET)


def test_a_counter_starts_from_the_clock_and_a_bump_adds_one(table: VersionTable) -> None:
    assert table.get("track:a") == 0
    before = time.time_ns()
    started = table.start("track:a")
    assert started >= before and table.start("track:a") == started == table.get("track:a")
    assert table.bump("track:a") == started + 1 == table.get("track:a")
    assert table.get("track:b") == 0 or table._slot("track:b") == table._slot("track:a")
    assert table.bump("never-read") > before, "a bump of a counter never started starts it"


BUMPS = 300
# Another process that maps the file itself (a web worker, a Celery worker).
OTHER_PROCESS = (
    "import sys\n"
    "from lib.versiontable import VersionTable\n"
    "table = VersionTable(sys.argv[1], secret=sys.argv[2].encode())\n"
    f"for _ in range({BUMPS}):\n"
    "    table.bump('k')\n"
)


def _forked_bumps(table: VersionTable) -> int:
    """A child forked from a process that already mapped the file (gunicorn, Celery prefork):
    it must lock on a descriptor of its own. os._exit: nothing of the parent's is flushed."""
    pid = os.fork()
    if pid == 0:
        try:
            for _ in range(BUMPS):
                table.bump("k")
        except BaseException:
            os._exit(1)
        os._exit(0)
    return pid


def test_processes_see_each_others_bumps_and_lose_none(table: VersionTable) -> None:
    start = table.start("k")  # the parent has the file mapped before it forks
    env = {**os.environ, "PYTHONPATH": str(Path(versiontable.__file__).parents[1])}
    others = [
        subprocess.Popen(
            [sys.executable, "-c", OTHER_PROCESS, table.path, SECRET.decode()], env=env
        )
        for _ in range(2)
    ]
    children = [_forked_bumps(table) for _ in range(2)]
    for _ in range(BUMPS):
        table.bump("k")
    for pid in children:
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    for other in others:
        assert other.wait(timeout=60) == 0
    assert table.get("k") == start + 5 * BUMPS


def test_a_lost_file_starts_every_counter_past_what_it_was(table: VersionTable) -> None:
    for _ in range(3):
        before = table.bump("k")
    os.remove(table.path)
    assert table.get("k") == 0, "the deleted file is noticed at the next read"
    assert table.start("k") > before
    other = VersionTable(table.path, secret=SECRET)  # another process: the same new file
    assert other.get("k") == table.get("k")


def test_the_cache_folder_table_survives_clearing_the_cache() -> None:
    table = versions()
    assert isinstance(table, VersionTable)
    value = table.bump("survives")
    cache.clear()
    assert versions().get("survives") == value


def test_a_cache_that_is_not_one_machines_keeps_the_counters(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache.backends.locmem import LocMemCache

    monkeypatch.setattr(versiontable, "caches", {"default": LocMemCache("elsewhere", {})})
    assert isinstance(versions(), CacheVersions)
    in_cache = CacheVersions()  # over the shared cache (`django.core.cache.cache`)
    assert in_cache.get("c") == 0
    started = in_cache.start("c")
    assert in_cache.bump("c") == started + 1 == in_cache.get("c")
    cache.delete("c")
    assert in_cache.start("c") > started, "a lost counter starts past what it was"


def test_which_keys_share_a_slot_depends_on_the_secret(tmp_path: Path) -> None:
    """Slots are keyed by SECRET_KEY: no one outside can pick a key (a user id) that lands on a
    track's slot so that each of their bumps throws away the track's cached boards."""
    path = str(tmp_path / versiontable.FILENAME)
    ours, theirs = VersionTable(path, secret=SECRET), VersionTable(path, secret=b"guessed")
    keys = [f"notifications-unread-version:{pk}" for pk in range(200)]
    assert [ours._slot(k) for k in keys] != [theirs._slot(k) for k in keys]


def test_a_bump_racing_the_files_deletion_lands_in_the_new_file(
    table: VersionTable, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The file is deleted after the bump found its mapping and before it took the lock: the
    bump notices under the lock and writes into the file that replaced it."""
    before = table.bump("k")
    real = table._current
    calls: list[object] = []

    def current_then_deleted():  # type: ignore[no-untyped-def]
        mapping = real()
        if not calls:
            os.remove(table.path)
            VersionTable(table.path, secret=SECRET).get("k")  # another process maps a new one
        calls.append(mapping)
        return mapping

    monkeypatch.setattr(table, "_current", current_then_deleted)
    bumped = table.bump("k")
    monkeypatch.undo()
    assert len(calls) == 2 and calls[0] is not calls[1], "the stale mapping was noticed"
    assert bumped > before
    assert VersionTable(table.path, secret=SECRET).get("k") == bumped, "written to the new file"

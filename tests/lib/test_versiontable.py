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


@pytest.fixture
def table(tmp_path: Path) -> VersionTable:
    return VersionTable(str(tmp_path / "cache" / versiontable.FILENAME))


def test_a_counter_starts_from_the_clock_and_a_bump_adds_one(table: VersionTable) -> None:
    assert table.get("track:a") == 0
    before = time.time_ns()
    started = table.start("track:a")
    assert started >= before and table.start("track:a") == started == table.get("track:a")
    assert table.bump("track:a") == started + 1 == table.get("track:a")
    assert table.get("track:b") == 0 or versiontable._slot("track:b") == versiontable._slot(
        "track:a"
    )
    assert table.bump("never-read") > before, "a bump of a counter never started starts it"


BUMPS = 300
# Another process that maps the file itself (a web worker, a Celery worker).
OTHER_PROCESS = (
    "import sys\n"
    "from lib.versiontable import VersionTable\n"
    "table = VersionTable(sys.argv[1])\n"
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
        subprocess.Popen([sys.executable, "-c", OTHER_PROCESS, table.path], env=env)
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
    other = VersionTable(table.path)  # another process: the same new file
    assert other.get("k") == table.get("k")


def test_the_cache_folder_table_survives_clearing_the_cache(settings) -> None:  # type: ignore[no-untyped-def]
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

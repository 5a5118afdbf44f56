"""Version counters that say "this changed": one machine's processes read them from shared memory.

A page cached under a version is served until the version moves, so a counter must be read on
every request (a track's results generation, a person's unread-notifications version). Where
the shared cache is a folder of one machine (lib.filecache.FileCache), reading a counter from
it costs four system calls and two unpicklings; here the counters are a table of 64-bit slots
in a file of that folder, mapped into every process's memory, so a read is a memory load.
Elsewhere (Redis across nodes) they stay in the shared cache (`CacheVersions`).

- A key is hashed onto one of SLOTS slots. Two keys may share a slot: a bump of one then moves
  the other as well, which only costs a needless recompute, never a stale page.
- 0 means "never started". A counter starts from the clock in nanoseconds and a bump adds one,
  so a counter lost with its file (the folder deleted) starts again past every value it had,
  and no value names a page cached long ago.
- Bumps take an exclusive flock on the file; reads take no lock: a slot is one aligned 8-byte
  word, loaded and stored whole. Each read checks (one fstat) that the file it maps is still
  linked, and maps the folder's current file when it is not. A child process (a fork) opens
  the file afresh: an inherited descriptor would share its flock with the parent.
- The file is not a cache entry (it does not end in .djcache), so culling and `cache.clear()`
  leave it alone.
"""

import fcntl
import hashlib
import mmap
import os
import threading
import time
from typing import Protocol

from django.core.cache import cache, caches

from .filecache import FileCache

SLOTS = 1 << 16  # 512 KiB: collisions stay rare with thousands of tracks and people
FILENAME = "versions.table"


class Versions(Protocol):
    def get(self, key: str) -> int:
        """The counter, 0 when it never started."""

    def start(self, key: str) -> int:
        """The counter, started from the clock if it never was."""

    def bump(self, key: str) -> int:
        """Move the counter past its value (start it if it never was); the new value."""


def _slot(key: str) -> int:
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") % SLOTS


class VersionTable:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fd = -1
        self._map: mmap.mmap | None = None
        self._words: memoryview | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        """Drop this process's mapping (the file stays); the next call maps the file again."""
        if self._words is not None:
            self._words.release()
        if self._map is not None:
            self._map.close()
        if self._fd >= 0:
            os.close(self._fd)
        self._fd, self._map, self._words = -1, None, None

    def _open(self) -> memoryview:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        size = SLOTS * 8
        if os.fstat(fd).st_size < size:
            os.ftruncate(fd, size)  # grows with zeros; never cuts what another process wrote
        self._fd, self._map = fd, mmap.mmap(fd, size)
        self._words = memoryview(self._map).cast("Q")
        return self._words

    def _table(self) -> memoryview:
        words = self._words
        if words is not None and os.fstat(self._fd).st_nlink:
            return words
        with self._lock:
            if self._words is not None and os.fstat(self._fd).st_nlink:
                return self._words
            self._forget()
            return self._open()

    def get(self, key: str) -> int:
        return int(self._table()[_slot(key)])

    def _write(self, key: str, *, bump: bool) -> int:
        words, slot = self._table(), _slot(key)
        with self._lock:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                value = words[slot]
                if value == 0:
                    value = time.time_ns()
                elif bump:
                    value += 1
                words[slot] = value
                return int(value)
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    def start(self, key: str) -> int:
        value = self.get(key)
        return value if value else self._write(key, bump=False)

    def bump(self, key: str) -> int:
        return self._write(key, bump=True)


class CacheVersions:
    """The same counters in the shared cache (Redis across nodes): one cache read each."""

    def get(self, key: str) -> int:
        value = cache.get(key)
        return int(value) if value is not None else 0

    def start(self, key: str) -> int:
        value = self.get(key)
        if value:
            return value
        cache.add(key, time.time_ns(), timeout=None)
        return self.get(key) or time.time_ns()

    def bump(self, key: str) -> int:
        cache.add(key, time.time_ns(), timeout=None)
        try:
            return int(cache.incr(key))
        except ValueError:  # lost between the two calls: a fresh start is past it anyway
            cache.add(key, time.time_ns(), timeout=None)
            return self.get(key)


_tables: dict[str, VersionTable] = {}
_tables_lock = threading.Lock()
_in_cache = CacheVersions()


def versions() -> Versions:
    """The table in the shared cache's folder when that cache is one machine's, else the cache."""
    shared = caches["default"]
    if not isinstance(shared, FileCache):
        return _in_cache
    folder = shared._folder
    table = _tables.get(folder)
    if table is None:
        with _tables_lock:
            table = _tables.setdefault(folder, VersionTable(os.path.join(folder, FILENAME)))
    return table

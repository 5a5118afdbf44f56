"""Version counters that say "this changed": one machine's processes read them from shared memory.

A page cached under a version is served until the version moves, so a counter must be read on
every request (a track's results generation, a person's unread-notifications version). Where
the shared cache is a folder of one machine (lib.filecache.FileCache), reading a counter from
it costs four system calls and two unpicklings; here the counters are a table of 64-bit slots
in a file of that folder, mapped into every process's memory, so a read is a memory load.
Elsewhere (Redis across nodes) they stay in the shared cache (`CacheVersions`).

- A key is hashed onto one of SLOTS slots with a hash keyed by the site's SECRET_KEY, so no one
  outside can tell which keys share a slot (a person's unread version with a track's
  generation, say, to make every bump of one throw away the other's cached pages). Two keys
  that do share one move together: a needless recompute, never a stale page.
- 0 means "never started". A counter starts from the clock in nanoseconds and a bump adds one,
  so a counter lost with its file (the folder deleted) starts again past every value it had,
  and no value names a page cached long ago.
- Bumps take an exclusive flock on the file and check, holding it, that the file is still the
  linked one (else they map the new one and write there); reads take no lock: a slot is one
  aligned 8-byte word, loaded and stored whole. Each read checks (one fstat) that the file it
  maps is still linked, and maps the folder's current file when it is not. A mapping is never
  closed under a thread that holds it: a dropped one is closed when the last user lets go. A
  child process (a fork) opens the file afresh: an inherited descriptor would share its flock
  with the parent. Deleting the file while the site runs is noticed at each process's next read;
  a bump that races the deletion itself can be lost, which the page caches' lifetimes bound.
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

from django.conf import settings
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


class _Mapping:
    """One open, mapped table file; its descriptor and map close when it is dropped."""

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self.file = open(fd, "r+b", buffering=0)  # noqa: SIM115 (kept open with the map)
        size = SLOTS * 8
        if os.fstat(self.file.fileno()).st_size < size:
            os.ftruncate(self.file.fileno(), size)  # grows with zeros; never cuts a slot
        self.words = memoryview(mmap.mmap(self.file.fileno(), size)).cast("Q")

    def linked(self) -> bool:
        return os.fstat(self.file.fileno()).st_nlink > 0


class VersionTable:
    def __init__(self, path: str, *, secret: bytes) -> None:
        self.path = path
        self._hash_key = hashlib.blake2b(secret, person=b"fb-versions").digest()
        self._lock = threading.Lock()
        self._mapping: _Mapping | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()  # the parent's could have been held at the fork
        self._mapping = None

    def _slot(self, key: str) -> int:
        digest = hashlib.blake2b(key.encode(), digest_size=8, key=self._hash_key).digest()
        return int.from_bytes(digest, "little") % SLOTS

    def _current(self) -> _Mapping:
        mapping = self._mapping
        if mapping is not None and mapping.linked():
            return mapping
        with self._lock:
            if self._mapping is None or not self._mapping.linked():
                self._mapping = _Mapping(self.path)
            return self._mapping

    def get(self, key: str) -> int:
        return int(self._current().words[self._slot(key)])

    def _write(self, key: str, *, bump: bool) -> int:
        slot = self._slot(key)
        while True:
            mapping = self._current()
            with self._lock:
                fcntl.flock(mapping.file, fcntl.LOCK_EX)
                try:
                    if not mapping.linked():
                        continue  # deleted since: write into the file that replaced it
                    value = mapping.words[slot]
                    if value == 0:
                        value = time.time_ns()
                    elif bump:
                        value += 1
                    mapping.words[slot] = value
                    return int(value)
                finally:
                    fcntl.flock(mapping.file, fcntl.LOCK_UN)

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
            table = _tables.get(folder)
            if table is None:
                secret = settings.SECRET_KEY.encode()
                table = VersionTable(os.path.join(folder, FILENAME), secret=secret)
                _tables[folder] = table
    return table

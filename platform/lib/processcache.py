"""A cache backend in this process's memory that keeps values as they are, never pickled.

LocMemCache pickles every value on set and unpickles it on get, so each read of a cached
leaderboard page copied its 100+ KB. Values here are shared between readers, so only immutable
ones are accepted (bytes, str, numbers, None and tuples of them): no reader can change what the
next one gets. Least recently used entries go first past MAX_ENTRIES; expired ones on read.
As with LocMemCache, every thread's instance of one LOCATION shares one store (Django makes a
cache instance per thread).
"""

import threading
import time
from collections import OrderedDict
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache

_IMMUTABLE = (bytes, str, int, float, bool, type(None))

_Entries = OrderedDict[str, tuple[float | None, object]]
_stores: dict[str, tuple[_Entries, threading.Lock]] = {}
_stores_lock = threading.Lock()


def _immutable(value: object) -> bool:
    if isinstance(value, tuple):
        return all(_immutable(item) for item in value)
    return isinstance(value, _IMMUTABLE)


class ProcessCache(BaseCache):
    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        with _stores_lock:
            self._entries, self._lock = _stores.setdefault(name, (OrderedDict(), threading.Lock()))

    def _live(self, key: str) -> tuple[float | None, object] | None:
        entry = self._entries.get(key)
        if entry is not None and entry[0] is not None and entry[0] <= time.time():
            del self._entries[key]
            return None
        return entry

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        key = self.make_key(key, version)  # validated when it was set: no entry under a bad key
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return default
            self._entries.move_to_end(key)
            return entry[1]

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        entry = self._entry(value, timeout)
        key = self.make_and_validate_key(key, version)
        with self._lock:
            self._put(key, entry)

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        entry = self._entry(value, timeout)
        key = self.make_and_validate_key(key, version)
        with self._lock:
            if self._live(key) is not None:
                return False
            self._put(key, entry)
            return True

    def _entry(self, value: object, timeout: Any) -> tuple[float | None, object]:
        if not _immutable(value):
            raise TypeError(
                f"ProcessCache keeps values unpickled and shared: {type(value).__name__} is "
                "mutable; store bytes, str, numbers or tuples of them"
            )
        return (self.get_backend_timeout(timeout), value)

    def _put(self, key: str, entry: tuple[float | None, object]) -> None:
        self._entries[key] = entry
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        key = self.make_key(key, version)
        with self._lock:
            entry = self._live(key)
            if entry is None:
                return False
            self._entries[key] = (self.get_backend_timeout(timeout), entry[1])
            return True

    def delete(self, key: Any, version: int | None = None) -> bool:
        with self._lock:
            return self._entries.pop(self.make_key(key, version), None) is not None

    def has_key(self, key: Any, version: int | None = None) -> bool:
        with self._lock:
            return self._live(self.make_key(key, version)) is not None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

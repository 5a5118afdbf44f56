"""The counter that keys every cached board of a track: bumped by each write the boards show.

A cache may lose the counter (the file cache culls past its size, a flush, a restart without
persistence). Were it to start again from 0 it would name copies cached long ago under the same
small numbers; it starts instead from the clock in nanoseconds, past any value it had before.
"""

import time

from django.core.cache import cache


def generation_key(*, benchmark_slug: str, track_slug: str) -> str:
    return f"track-results-generation:{benchmark_slug}:{track_slug}"


def generation_peek(key: str) -> int | None:
    """The counter if the cache holds it; starts nothing."""
    value = cache.get(key)
    return int(value) if value is not None else None


def generation_read(key: str) -> int:
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return int(value) if value is not None else time.time_ns()


def generation_bump(key: str) -> None:
    cache.add(key, time.time_ns(), timeout=None)
    try:
        cache.incr(key)
    except ValueError:  # lost between the two calls: a fresh start is past it anyway
        cache.add(key, time.time_ns(), timeout=None)

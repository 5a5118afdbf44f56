"""The counter that keys every cached board of a track: bumped by each write the boards show.

It lives in lib.versiontable (shared memory on one machine, else the shared cache). A counter
that is lost (its file deleted; in the cache, culled, flushed or restarted without persistence)
would name copies cached long ago were it to start again from 0; it starts instead from the
clock in nanoseconds, past any value it had before.
"""

from lib.versiontable import versions


def generation_key(*, benchmark_slug: str, track_slug: str) -> str:
    return f"track-results-generation:{benchmark_slug}:{track_slug}"


def generation_peek(key: str) -> int | None:
    """The counter if it started; starts nothing."""
    return versions().get(key) or None


def generation_read(key: str) -> int:
    """The counter, started if it never was."""
    return versions().start(key)


def generation_bump(key: str) -> None:
    versions().bump(key)

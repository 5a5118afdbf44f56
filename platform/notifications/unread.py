"""The header's unread count, kept in the shared cache per person, and its version.

Counted at most once per UNREAD_SECONDS per person; the services that create notifications or
mark them read delete the person's count and bump its version (lib.versiontable) now and when
their transaction commits, so the header shows a change at the next page. A page that keeps its
header (the leaderboard's frame) keys it by the version, which is read from shared memory where
the count would be a cache read. A row written behind the services' back shows within
UNREAD_SECONDS.
"""

from collections.abc import Iterable

from django.core.cache import cache

from lib.invalidation import invalidate_now_and_at_commit
from lib.versiontable import versions

UNREAD_SECONDS = 60


def unread_cache_key(user_id: object) -> str:
    return f"notifications-unread:{user_id}"


def unread_version_key(user_id: object) -> str:
    return f"notifications-unread-version:{user_id}"


def unread_forget(*, user_ids: Iterable[object]) -> None:
    """Drop these people's cached counts and bump their versions now and again once the current
    transaction commits (a request in between could keep the count from before the commit)."""
    ids = list(user_ids)
    if not ids:
        return

    def forget() -> None:
        cache.delete_many([unread_cache_key(user_id) for user_id in ids])
        table = versions()
        for user_id in ids:
            table.bump(unread_version_key(user_id))

    invalidate_now_and_at_commit(forget)

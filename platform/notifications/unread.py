"""The header's unread count, kept in the shared cache per person.

Counted at most once per UNREAD_SECONDS per person; the services that create notifications or
mark them read delete the person's count when their transaction commits, so the header shows a
change at the next page. A row written behind the services' back shows within UNREAD_SECONDS.
"""

from collections.abc import Iterable

from django.core.cache import cache

from lib.invalidation import invalidate_now_and_at_commit

UNREAD_SECONDS = 60


def unread_cache_key(user_id: object) -> str:
    return f"notifications-unread:{user_id}"


def unread_forget(*, user_ids: Iterable[object]) -> None:
    """Drop these people's cached counts now and again once the current transaction commits
    (a request in between could store the count from before the commit)."""
    keys = [unread_cache_key(user_id) for user_id in user_ids]
    if keys:
        invalidate_now_and_at_commit(lambda: cache.delete_many(keys))

"""Who is signed in, without a database query per request.

Django reads the signed-in user's row on every request that looks at `request.user` (the
session names the user's id; `ModelBackend.get_user` loads the row, and Django then checks the
session's auth hash against the row's password hash, so a password change ends other sessions).
This backend keeps that row in the shared cache (`CACHES["default"]`: the file cache of one
machine, Redis across nodes; never a per-process cache, which the settings refuse) for at most
USER_SECONDS, and every save or delete of a user through the ORM deletes the copy at once and
again when its transaction commits (`user_cache_forget`, connected in `AccountsConfig.ready`).
A password change, deactivation or removal therefore ends the user's other sessions at their
next request, as without the cache; only a write that bypasses the ORM's signals (a raw SQL or
`QuerySet.update` of auth_user, which the platform does not do), or a request that read the row
just before such a commit and stored it just after, is seen up to USER_SECONDS late.
"""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.cache import cache

from lib.invalidation import invalidate_now_and_at_commit

USER_SECONDS = 30


def user_cache_key(user_id: object) -> str:
    return f"auth-user:{user_id}"


class CachedModelBackend(ModelBackend):
    """ModelBackend whose `get_user` (the per-request read) goes through the shared cache."""

    def get_user(self, user_id: Any) -> User | None:
        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            cache.set(key, user, timeout=USER_SECONDS)
        return user if self.user_can_authenticate(user) else None


def user_cache_forget(sender: type[User], instance: User, **kwargs: object) -> None:
    """Drop the cached row of a saved or deleted user, now and once the write is committed
    (a request between the two would otherwise store the row as it was before the commit)."""
    key = user_cache_key(instance.pk)
    invalidate_now_and_at_commit(lambda: cache.delete(key))

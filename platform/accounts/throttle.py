"""Login rate limiting: after repeated failures for one username from one address, wait.

Counts live in the cache with a sliding window; a success clears them. Keyed by both name and
address so one attacker cannot lock a user out from everywhere.
"""

from django.core.cache import cache

MAX_FAILURES = 5
WINDOW_SECONDS = 15 * 60


def _key(username: str, address: str) -> str:
    return f"login-failures:{username.lower()}:{address}"


def login_blocked(*, username: str, address: str) -> bool:
    return int(cache.get(_key(username, address), 0)) >= MAX_FAILURES


def login_failed(*, username: str, address: str) -> None:
    key = _key(username, address)
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)


def login_succeeded(*, username: str, address: str) -> None:
    cache.delete(_key(username, address))

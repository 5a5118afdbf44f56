"""A request's CSRF token, masked as Django's `get_token` masks it, from one draw of the system's
random source instead of one per character.

Django's `get_token` draws its 32-character mask with `secrets.choice`, one system call per
character; a signed-in leaderboard request spent more on that than on its page. The token is
the same format (mask + cipher of the cookie's secret over CSRF_ALLOWED_CHARS), masked afresh on
every request (BREACH), so CsrfViewMiddleware accepts it as its own.

Unlike `get_token`, it does not re-send the CSRF cookie to renew its expiry when the browser
already holds it: the cookie lives CSRF_COOKIE_AGE (a year), far longer than the session
(SESSION_COOKIE_AGE) of the signed-in reader whose forms use it, and every other page's
`{% csrf_token %}` renews it as Django does. A request without the cookie gets Django's own
(`get_token`: a new secret, and its cookie set).
"""

import secrets

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_COUNT = len(CSRF_ALLOWED_CHARS)
_INDEX = {char: number for number, char in enumerate(CSRF_ALLOWED_CHARS)}
# Bytes below this map onto the characters uniformly (248 = 4 * 62); the rest are drawn again.
_UNIFORM_BELOW = 256 - 256 % _COUNT


def _mask() -> list[int]:
    drawn: list[int] = []
    while len(drawn) < CSRF_SECRET_LENGTH:
        drawn.extend(b % _COUNT for b in secrets.token_bytes(48) if b < _UNIFORM_BELOW)
    return drawn[:CSRF_SECRET_LENGTH]


def csrf_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token(request)` returns, drawn faster."""
    secret = request.META.get("CSRF_COOKIE")
    if (
        not isinstance(secret, str)
        or len(secret) != CSRF_SECRET_LENGTH
        or not all(char in _INDEX for char in secret)
    ):
        return get_token(request)  # no usable secret: Django's own way (a new one, its cookie)
    mask = _mask()
    cipher = (
        CSRF_ALLOWED_CHARS[(_INDEX[char] + m) % _COUNT]
        for char, m in zip(secret, mask, strict=True)
    )
    return "".join(CSRF_ALLOWED_CHARS[m] for m in mask) + "".join(cipher)

"""A request's CSRF token, masked as Django's `get_token` masks it, from a pool of draws of the
system's random source instead of one draw per character.

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

import operator
import os
import secrets
import string
import threading

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

# The characters are ASCII letters and digits, so a secret is checked with str methods (in C).
if sorted(CSRF_ALLOWED_CHARS) != sorted(string.ascii_letters + string.digits):
    raise ImportError("lib.csrf expects Django's CSRF characters to be ASCII letters and digits")
_COUNT = len(CSRF_ALLOWED_CHARS)
# Random bytes below this map onto the characters uniformly (248 = 4 * 62); the rest are
# dropped (the pool draws more). The table maps a byte to its mask character in one C call.
_UNIFORM_BELOW = 256 - 256 % _COUNT
_MASK_CHARS = bytes(ord(CSRF_ALLOWED_CHARS[b % _COUNT]) for b in range(256))
_NOT_UNIFORM = bytes(range(_UNIFORM_BELOW, 256))
# A secret's character and its mask's character (two-character key) -> the cipher's character.
_CIPHER = {
    a + b: CSRF_ALLOWED_CHARS[(i + j) % _COUNT]
    for i, a in enumerate(CSRF_ALLOWED_CHARS)
    for j, b in enumerate(CSRF_ALLOWED_CHARS)
}


class _MaskPool:
    """Mask characters drawn a page at a time (one system call per ~120 masks, not per mask),
    each handed out once. A forked child (a gunicorn or Celery worker) drops what it inherited,
    so two processes never hand out the same masks. The masks are sent in the clear as the
    token's first half: what matters is that each is fresh and uniform, which this keeps."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chars = b""
        self._at = 0
        os.register_at_fork(after_in_child=self._drop)

    def _drop(self) -> None:
        self._lock = threading.Lock()  # the parent's could have been held at the fork
        self._chars, self._at = b"", 0

    def take(self) -> str:
        with self._lock:
            if self._at + CSRF_SECRET_LENGTH > len(self._chars):
                self._chars = secrets.token_bytes(4096).translate(_MASK_CHARS, _NOT_UNIFORM)
                self._at = 0
            at = self._at
            self._at = at + CSRF_SECRET_LENGTH
            return self._chars[at : at + CSRF_SECRET_LENGTH].decode("ascii")


_masks = _MaskPool()


def csrf_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token(request)` returns, drawn faster."""
    secret = request.META.get("CSRF_COOKIE")
    if (
        not isinstance(secret, str)
        or len(secret) != CSRF_SECRET_LENGTH
        or not (secret.isascii() and secret.isalnum())
    ):
        return get_token(request)  # no usable secret: Django's own way (a new one, its cookie)
    mask = _masks.take()
    return mask + "".join(map(_CIPHER.__getitem__, map(operator.add, secret, mask)))

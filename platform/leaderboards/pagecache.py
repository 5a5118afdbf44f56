"""The track page's caches: what each holds, under which key, for how long.

- The content (boards, robustness, policy): the same for every reader, so keyed by language,
  track, sort, columns and the track's results generation (`track_results_changed` bumps it;
  a publication, a new result, a pick, a disqualification). Shared cache for CONTENT_SECONDS,
  and each web process's own copy for LOCAL_SECONDS under the same key.
- The whole page of an anonymous reader with nothing to be told, with its headers: the same key
  and lifetimes (stored and served by leaderboards.middleware, before the session is loaded).
- A signed-in reader's frame (header and footer around the content): this process only (the
  `frames` cache), for LOCAL_SECONDS, keyed by the content's key and everything the frame
  shows of the reader (their id, name, whether staff, the version of their unread count, which
  moves with every change of the count (notifications.unread); the language switch
  returns to the page's canonical address, which the content's key already names). The CSRF
  token is never cached: a placeholder in the frame takes each request's own.

The per-process caches keep values unpickled (lib.processcache): a read hands back the same
bytes, never a copy of the page.

Nothing a reader sees about themselves is in a key another reader can reach, and the content
holds no number the disclosure policy keeps from anyone (it is rendered for every reader).
The short lifetimes bound staleness should a writer ever forget `track_results_changed`, and
what depends on the clock alone (a phase opening or closing in the policy summary).
"""

import hashlib
import re
import secrets

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache, caches
from django.http import HttpRequest, HttpResponse

CONTENT_SECONDS = 30
LOCAL_SECONDS = 10

# Stand-ins rendered into a cached frame, replaced per request. Random per process, so no text
# a team writes (a method name) can contain them.
CSRF_MARK = f"csrf{secrets.token_hex(16)}"
CONTENT_MARK = f"content{secrets.token_hex(16)}"


# A run of whitespace that holds a line break: the templates' indentation and blank lines.
_LINE_BREAKS = re.compile(r"[ \t\r\f]*\n\s*")


def compact(html: str) -> str:
    """The page's HTML with each run of whitespace that breaks a line cut to one line break: a
    browser shows it the same (none of these pages holds a <pre> or a <textarea>), and the board
    page is a quarter smaller, which every reader's request sends."""
    return _LINE_BREAKS.sub("\n", html)


def cookieless(request: HttpRequest) -> bool:
    """No session cookie and no message cookie: an anonymous reader with nothing to be told."""
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies


def shared_get(key: str) -> object | None:
    """This process's copy (no file read, no decompression), else the shared cache's, which
    this process then keeps for LOCAL_SECONDS."""
    local = caches["local"]
    value = local.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            local.set(key, value, timeout=LOCAL_SECONDS)
    return value


def shared_set(key: str, value: object) -> None:
    cache.set(key, value, timeout=CONTENT_SECONDS)


# An anonymous reader's whole page: the response's headers, as the middlewares made them, and
# its body (leaderboards.middleware).
Page = tuple[tuple[tuple[str, str], ...], bytes]


def page_get(key: str) -> Page | None:
    page = shared_get(key)
    return page if isinstance(page, tuple) else None


def page_set(key: str, page: Page) -> None:
    shared_set(key, page)


def frame_key(*, version: str, request: HttpRequest, unread: int) -> str:
    """The key of a signed-in reader's frame: the content's version (language, track, sort,
    order, columns: all the language switch's address holds) and all the frame shows of them
    (`unread`: the version of their unread count)."""
    user = request.user
    reader = f"{user.pk}\0{user.get_username()}\0{int(user.is_staff)}\0{unread}"
    digest = hashlib.sha256(f"{version}\0{reader}".encode()).hexdigest()
    return f"leaderboard-frame:{digest}"


# A frame kept as the UTF-8 pieces between its CSRF tokens: those before the content and
# those after it. A request puts its own token between the pieces and the content in the middle.
Frame = tuple[tuple[bytes, ...], tuple[bytes, ...]]


def frame_split(frame: str) -> Frame:
    head, tail = compact(frame).split(CONTENT_MARK)
    return (
        tuple(piece.encode() for piece in head.split(CSRF_MARK)),
        tuple(piece.encode() for piece in tail.split(CSRF_MARK)),
    )


def frame_response(frame: Frame, *, content: bytes, csrf_token: str) -> HttpResponse:
    """The page: the frame's pieces with the token between them, around the content (one
    join of bytes: the server sends it in one write)."""
    token = csrf_token.encode()
    head, tail = frame
    return HttpResponse(b"".join((token.join(head), content, token.join(tail))))


def frame_get(key: str) -> Frame | None:
    frame = caches["frames"].get(key)
    return frame if isinstance(frame, tuple) else None


def frame_set(key: str, frame: Frame) -> None:
    caches["frames"].set(key, frame, timeout=LOCAL_SECONDS)

"""An anonymous reader's board page, answered before the middlewares it has no use for.

A reader with no session cookie and no message cookie gets the same page as every such reader
in their language (leaderboards.views.boards). The first one's response goes through the whole
stack; its body and headers, as the stack made them, are kept under the page's key, which holds
the track's results generation, so a change shows at the next request. Later readers get that
response from here: no session, no user, no CSRF or message machinery, no URL dispatch beyond
recognising the board. Placed after SecurityMiddleware (whose headers are added on the way out
as for any page) and before SessionMiddleware.

The page's key holds the script prefix (SCRIPT_NAME) its links were made with, so a reader
behind another prefix never gets links made for it.

Checked here as the skipped middlewares would: the Host header (CommonMiddleware, so a
disallowed host still gets 400) and the reader's language (LocaleMiddleware: the language
cookie, else Accept-Language; the site has no language prefixes in its URLs). A response that
sets a cookie, is not a 200, or is not marked by the view as the shared page is never kept.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, get_script_prefix, resolve, reverse
from django.utils import translation

from . import pagecache
from .views.boards import board_page_key, board_query, board_version

_BOARD_VIEW = "track-leaderboard"


class AnonymousBoardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self._prefix: str | None = None

    def _board_prefix(self) -> str:
        # The part of every board's path_info before its benchmark slug ("/b/"): other paths
        # are passed on without being resolved twice. path_info never holds the script prefix
        # (SCRIPT_NAME), which reverse() puts in front.
        if self._prefix is None:
            path = reverse(_BOARD_VIEW, args=["benchmark", "track"])
            self._prefix = "/" + path[len(get_script_prefix()) :].split("benchmark")[0]
        return self._prefix

    def _page_key(self, request: HttpRequest) -> str | None:
        if not request.path_info.startswith(self._board_prefix()):
            return None
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return None
        if match.url_name != _BOARD_VIEW:
            return None
        language = translation.get_language_from_request(request, check_path=False)
        version = board_version(
            match.kwargs["benchmark_slug"],
            match.kwargs["track_slug"],
            board_query(request),
            language,
        )
        return board_page_key(version) if version is not None else None

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "GET" or not pagecache.cookieless(request):
            return self.get_response(request)
        key = self._page_key(request)
        if key is None:
            return self.get_response(request)
        request.get_host()  # raises DisallowedHost (400) for a host not in ALLOWED_HOSTS
        page = pagecache.page_get(key)
        if page is not None:
            headers, body = page
            return HttpResponse(body, headers=dict(headers))
        response = self.get_response(request)
        if (
            getattr(response, "shared_page_key", None) == key
            and response.status_code == 200
            and not response.cookies
            and isinstance(response, HttpResponse)
        ):
            pagecache.page_set(key, (tuple(response.items()), response.content))
        return response

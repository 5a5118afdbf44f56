"""leaderboards.middleware: a cookieless reader's board page comes from the shared cache before
the session, CSRF and message middlewares, and is the very response the whole stack made."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import team_create
from benchmarks.services import track_results_changed
from leaderboards import pagecache
from tests.support import finished_result

pytestmark = pytest.mark.django_db

URL = "/b/smoke-detect/image/"
ZH = "zh-hans"


def _result(track, method: str, auc: float) -> None:  # type: ignore[no-untyped-def]
    finished_result(
        track=track,
        split=track.splits.get(name="val"),
        team=team_create(name=f"Team {method}"),
        method=method,
        metrics={"auc": auc, "acc": 0.5, "ci": {"auc": [auc - 0.1, auc]}},
        primary_value=auc,
    )


def _served(client: Client, url: str = URL, **extra: str):  # type: ignore[no-untyped-def]
    response = client.get(url, **extra)  # type: ignore[arg-type]
    assert response.status_code == 200
    return response


def _calls_through(monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """Records each request that reached the board view (not answered by the middleware)."""
    from leaderboards.views import boards

    seen: list[str] = []
    parse = boards.board_query

    def recording(request):  # type: ignore[no-untyped-def]
        seen.append(request.get_full_path())
        return parse(request)

    monkeypatch.setattr(boards, "board_query", recording)  # the view's, not the middleware's
    return seen


@pytest.mark.parametrize(
    "reader",
    [
        {},
        {"HTTP_ACCEPT_LANGUAGE": ZH},
        {"HTTP_COOKIE": f"{settings.LANGUAGE_COOKIE_NAME}={ZH}"},
        {"QUERY_STRING": "sort=auc&order=asc"},
    ],
    ids=["english", "accept-language", "language-cookie", "sorted"],
)
def test_the_kept_response_is_the_one_the_whole_stack_made(smoke_track, reader) -> None:
    _result(smoke_track, "kestrel", 0.91234)
    query = reader.pop("QUERY_STRING", "")
    url = f"{URL}?{query}" if query else URL
    made = _served(Client(), url, **reader)
    kept = _served(Client(), url, **reader)
    assert kept.content == made.content and b"kestrel" in kept.content
    assert sorted(kept.items()) == sorted(made.items())
    assert set(kept["Vary"].split(", ")) == {"Cookie", "Accept-Language"}
    assert kept["Content-Language"] == (ZH if reader else "en")
    assert kept["X-Frame-Options"] == "DENY" and kept["X-Content-Type-Options"] == "nosniff"


def test_a_kept_page_is_served_without_the_view_the_session_or_a_query(
    smoke_track, monkeypatch
) -> None:
    _result(smoke_track, "kestrel", 0.91234)
    _served(Client())  # made and kept
    seen = _calls_through(monkeypatch)
    with CaptureQueriesContext(connection) as queries:
        response = _served(Client())
    assert not seen and not queries.captured_queries and b"kestrel" in response.content


def test_a_change_shows_at_the_next_request(smoke_track) -> None:
    _result(smoke_track, "kestrel", 0.91234)
    assert b">heron<" not in _served(Client()).content
    _result(smoke_track, "heron", 0.95)
    track_results_changed(track=smoke_track)
    assert b">heron<" in _served(Client()).content


def test_readers_with_a_session_messages_or_another_method_take_the_whole_stack(
    smoke_track, people, monkeypatch
) -> None:
    _result(smoke_track, "kestrel", 0.91234)
    _served(Client())
    seen = _calls_through(monkeypatch)
    signed_in = Client()
    signed_in.force_login(people.owner)
    assert b"Log out owner" in _served(signed_in).content
    with_message = Client()
    with_message.cookies["messages"] = "anything"
    _served(with_message)
    assert Client().head(URL).status_code == 200
    assert len(seen) == 3


def test_a_disallowed_host_is_refused_even_when_the_page_is_kept(smoke_track) -> None:
    _result(smoke_track, "kestrel", 0.91234)
    _served(Client())
    assert Client().get(URL, HTTP_HOST="evil.example").status_code == 400


def test_other_pages_and_unknown_boards_are_passed_on(smoke_track) -> None:
    assert Client().get("/b/smoke-detect/").status_code == 200
    assert Client().get("/b/smoke-detect/no-such-track/").status_code == 404
    assert Client().get("/b/smoke-detect/image/val.csv").status_code in (200, 404)


def test_a_response_that_sets_a_cookie_is_never_kept(smoke_track, monkeypatch) -> None:
    from leaderboards.views import boards

    render = boards.render

    def with_cookie(*args, **kwargs):  # type: ignore[no-untyped-def]
        response = render(*args, **kwargs)
        response.set_cookie("planted", "1")
        return response

    monkeypatch.setattr(boards, "render", with_cookie)
    _result(smoke_track, "kestrel", 0.91234)
    stored: list[str] = []
    shared_set = pagecache.shared_set

    def recording(key: str, value: object) -> None:
        stored.append(key)
        shared_set(key, value)

    monkeypatch.setattr(pagecache, "shared_set", recording)
    assert "planted" in _served(Client()).cookies
    assert stored and not [key for key in stored if key.startswith("leaderboard-page:")]
    assert "planted" in _served(Client()).cookies, "made again, never served from a copy"


def test_made_up_board_addresses_write_nothing_to_the_shared_cache(
    smoke_track, monkeypatch
) -> None:
    """Anyone can make up board addresses by the thousand: none may leave an entry behind
    (a counter or a page), or they would push sessions and pages out of the cache."""
    from django.core.cache import cache

    from leaderboards import views

    written: list[str] = []
    for method in ("set", "add", "incr"):
        original = getattr(cache, method)

        def recording(key, *args, _original=original, **kwargs):  # type: ignore[no-untyped-def]
            written.append(key)
            return _original(key, *args, **kwargs)

        monkeypatch.setattr(cache, method, recording)
    assert views  # the board view and middleware read through this same cache object
    for n in range(5):
        assert Client().get(f"/b/made-up-{n}/image/").status_code == 404
        assert Client().get(f"/b/smoke-detect/made-up-{n}/").status_code == 404
    assert not written


def _wsgi_get(path: str, script_name: str) -> bytes:
    """One request through Django's real WSGI handler, which takes the script prefix from
    SCRIPT_NAME as under gunicorn (the test client never sets one)."""
    from io import BytesIO

    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import close_old_connections
    from django.urls import set_script_prefix

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        environ = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": script_name,
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "localhost",
            "wsgi.url_scheme": "http",
            "wsgi.input": BytesIO(b""),
            "wsgi.errors": BytesIO(),
        }
        status: list[str] = []
        body = b"".join(WSGIHandler()(environ, lambda s, h, *a: status.append(s)))  # type: ignore[arg-type]
        assert status[0].startswith("200"), status
        return body
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        set_script_prefix("/")


def test_a_reader_behind_another_script_prefix_never_gets_its_links(
    smoke_track, monkeypatch
) -> None:
    _result(smoke_track, "kestrel", 0.91234)
    assert b'"/mounted/b/smoke-detect/' in _wsgi_get(URL, "/mounted")
    plain = _wsgi_get(URL, "")
    assert b'"/mounted/' not in plain and b'"/b/smoke-detect/' in plain
    seen = _calls_through(monkeypatch)
    assert b'"/mounted/b/smoke-detect/' in _wsgi_get(URL, "/mounted")
    assert b'"/mounted/' not in _wsgi_get(URL, "")
    assert not seen, "both served from their own kept pages, by the middleware"

"""The track page's caches (leaderboards.pagecache): a reader's frame is theirs alone, no cache
shows a hidden number before its publication, and a publication or a new result shows at the
next request to every reader."""

import re

import pytest
from django.test import Client

from accounts.services import team_create
from benchmarks.models import Split
from benchmarks.services import split_publish_results
from tests.support import finished_result

pytestmark = pytest.mark.django_db

URL = "/b/smoke-detect/image/"
PUBLIC, HIDDEN, LATER = "0.9123", "0.4568", "0.7777"


def _result(track, team, method: str, split_name: str, auc: float) -> None:  # type: ignore[no-untyped-def]
    finished_result(
        track=track,
        split=track.splits.get(name=split_name),
        team=team,
        method=method,
        metrics={"auc": auc, "acc": 0.5, "ci": {"auc": [auc - 0.1, auc]}},
        primary_value=auc,
    )


@pytest.fixture
def readers(people):  # type: ignore[no-untyped-def]
    """Each role's client, every one of them having read the page twice (all caches warm)."""
    clients = {"anonymous": Client()}
    for role in ("organizer", "owner", "outsider"):
        clients[role] = Client()
        clients[role].force_login(getattr(people, role))
    return clients


def _page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def _header(page: str) -> str:
    return page.split("</header>")[0]


def test_a_readers_frame_is_never_served_to_another(smoke_track, readers) -> None:
    _result(smoke_track, team_create(name="Owls"), "owl", "val", 0.91234)
    for _ in range(2):
        organizer = _page(readers["organizer"])
    assert "Log out organizer" in organizer and "Organize" in _header(organizer)
    for role in ("owner", "outsider"):
        header = _header(_page(readers[role]))
        assert f"Log out {role}" in header
        assert "organizer" not in header and "Organize" not in header
    anonymous = _header(_page(readers["anonymous"]))
    assert "Log in" in anonymous and "Log out" not in anonymous
    assert "csrfmiddlewaretoken" not in anonymous


def test_each_request_gets_its_own_csrf_token(smoke_track, readers) -> None:
    tokens = {
        _page(readers["owner"]).split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
        for _ in range(3)
    }
    assert len(tokens) == 3  # masked afresh each time, never the cached frame's


def test_no_hidden_number_before_publication_and_every_reader_sees_it_after(
    smoke_track, people, readers
) -> None:
    _result(smoke_track, people.team, "owl", "val", 0.91234)
    _result(smoke_track, people.team, "owl", "test", 0.45678)
    for _ in range(2):  # the second read comes from the caches
        for role, client in readers.items():
            page = _page(client)
            assert PUBLIC in page, role
            assert HIDDEN not in page, f"{role} saw a hidden number before its publication"
    split_publish_results(split=smoke_track.splits.get(visibility=Split.Visibility.HIDDEN))
    for role, client in readers.items():
        assert HIDDEN in _page(client), f"{role} did not see the publication at once"
    # A result after the publication stays hidden until the next one, for everybody.
    _result(smoke_track, team_create(name="Cats"), "cat", "test", 0.7777)
    _result(smoke_track, team_create(name="Cats 2"), "cat2", "val", 0.7777)
    from benchmarks.services import track_results_changed

    track_results_changed(track=smoke_track)  # as every writer of results does
    for role, client in readers.items():
        page = _page(client)
        assert ">cat2<" in page, f"{role} did not see the new result at once"
        assert ">cat<" not in page, role


def test_the_unread_count_in_the_frame_follows_new_notifications(smoke_track, people) -> None:
    from notifications.models import Kind
    from notifications.services import notification_create_many, notification_mark_read

    client = Client()
    client.force_login(people.owner)
    assert "unread" not in _header(_page(client))
    notification_create_many(users=[people.owner], kind=Kind.BROADCAST, subject="s", body="b")
    assert 'aria-label="1 unread"' in _header(_page(client))
    notification_mark_read(user=people.owner)
    assert "unread" not in _header(_page(client))


def test_the_shared_page_carries_no_visitors_query_string(smoke_track) -> None:
    """The first anonymous reader's address must not end up in the page everyone is served."""
    _result(smoke_track, team_create(name="Owls"), "owl", "val", 0.91234)
    first = Client().get(URL + "?utm=planted-text&next=//evil.example&sort=auc&order=asc")
    assert first.status_code == 200 and b"planted-text" not in first.content
    later = Client().get(URL + "?sort=auc&order=asc").content.decode()
    assert "planted-text" not in later and "evil.example" not in later
    assert 'name="next" value="/b/smoke-detect/image/?sort=auc&amp;order=asc"' in later


class _RecordingCache:
    """The cache, with the keys written through it recorded."""

    def __init__(self, inner: object) -> None:
        self.inner, self.keys = inner, []  # type: ignore[var-annotated]

    def set(self, key: str, *args: object, **kwargs: object) -> None:
        self.keys.append(key)
        self.inner.set(key, *args, **kwargs)  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


def test_an_unknown_sort_makes_no_cache_entry_of_its_own(smoke_track, monkeypatch) -> None:
    from django.core.cache import cache

    from leaderboards import pagecache, selectors
    from leaderboards.views import boards

    _result(smoke_track, team_create(name="Owls"), "owl", "val", 0.91234)
    recording = _RecordingCache(cache)
    for module in (boards, pagecache, selectors):
        monkeypatch.setattr(module, "cache", recording)
    for n in range(3):
        assert Client().get(f"{URL}?sort=junk{n}xxxxxxxx").status_code == 200
    assert recording.keys, "the first request filled the caches"
    assert not [key for key in recording.keys if "junk" in key]
    written = len(recording.keys)
    assert Client().get(f"{URL}?sort=junk9").status_code == 200
    assert len(recording.keys) == written, "served from the entry of the unsorted page"


def test_compact_cuts_line_breaking_whitespace_and_keeps_the_rest() -> None:
    from leaderboards.pagecache import compact

    html = "<tr>\n      <td>a  b</td>\n\n   \t<td>c</td> <span>d</span>\r\n  </tr>\n"
    assert compact(html) == "<tr>\n<td>a  b</td>\n<td>c</td> <span>d</span>\n</tr>\n"


def test_the_board_page_carries_no_indentation_and_reads_the_same(smoke_track, readers) -> None:
    _result(smoke_track, team_create(name="Owls"), "owl", "val", 0.91234)
    for role in ("anonymous", "owner"):
        page = _page(readers[role])
        indented = re.findall(r".{0,60}\n[ \t]+.{0,20}", page)
        assert not indented, (role, indented[:3])
        assert "0.9123" in page and "owl" in page
        # The whisker is drawn by the stylesheet and hidden from screen readers (the cell's
        # text says the same: the value, and the interval under "(95% CI)").
        assert '<svg class="whisker" width="120" height="14" aria-hidden="true">' in page
        assert 'class="ci"' in page and "stroke=" not in page.split('class="whisker"')[1][:300]

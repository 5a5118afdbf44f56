"""The track's entry rule, disqualified submissions, and the out-of-distribution tier's board."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import team_create
from benchmarks.models import Track
from benchmarks.services import split_publish_results, track_results_changed
from leaderboards.selectors import generalization_matrix, leaderboard_for_split
from submissions.models import Submission
from tests.submissions.test_picks_support import scored, tiny_benchmark
from tests.support import finished_result

pytestmark = pytest.mark.django_db


def _methods(board, split: str) -> list[str]:  # type: ignore[no-untyped-def]
    rows, _ = leaderboard_for_split(split=board.splits[split], track=board.track)
    return [row.method for row in rows]


def test_best_or_last_submission_per_team_by_the_tracks_rule(people) -> None:
    board = tiny_benchmark()
    early = scored(board, people.team, "early", test=0.9, val=0.9)
    late = scored(board, people.team, "late", test=0.6, val=0.6)
    now = timezone.now()
    Submission.objects.filter(pk=early.pk).update(finished_at=now - timedelta(hours=2))
    Submission.objects.filter(pk=late.pk).update(finished_at=now - timedelta(hours=1))
    cats = team_create(name="Cats")
    scored(board, cats, "cat", test=0.7, val=0.7)
    assert _methods(board, "val") == ["early", "cat"]
    Track.objects.filter(pk=board.track.pk).update(entry_rule=Track.EntryRule.LAST)
    board.track.refresh_from_db()
    assert _methods(board, "val") == ["cat", "late"], "latest finished, ranked by value"
    page = Client().get("/b/tiny/image/").content.decode()
    assert "Each team is ranked by its latest finished submission." in page
    assert ">late</a>" in page and ">early</a>" not in page
    listing = Client().get("/b/tiny/").content.decode()
    assert "Each team is ranked by its latest finished submission." in listing
    assert Client().get("/api/v1/tracks/tiny/image/").json()["entry_rule"] == "last"


def test_disqualified_submissions_leave_boards_exports_and_the_matrix(people) -> None:
    board = tiny_benchmark()
    cheat = scored(board, people.team, "cheat", test=0.99, val=0.99)
    scored(board, team_create(name="Cats"), "honest", test=0.7, val=0.7)
    assert _methods(board, "val") == ["cheat", "honest"]
    Submission.objects.filter(pk=cheat.pk).update(disqualified_at=timezone.now())
    track_results_changed(track=board.track)  # as every write a board shows does
    assert _methods(board, "val") == ["honest"]
    csv = Client().get("/b/tiny/image/val.csv").content.decode()
    assert "honest" in csv and "cheat" not in csv
    _, groups = generalization_matrix()
    assert [row.method for rows in groups.values() for row in rows] == ["honest"]


def test_the_ood_tab_has_one_row_per_pick_and_shows_only_after_the_reveal(people) -> None:
    board = tiny_benchmark()
    ood = board.splits["ood"]
    first = scored(board, people.team, "first", test=0.8)
    second = scored(board, people.team, "second", test=0.7)
    for submission, value in ((first, 0.55), (second, 0.65)):
        finished_result(
            track=board.track,
            split=ood,
            team=people.team,
            method=submission.method_name,
            metrics={"auc": value, "ci": {"auc": [value - 0.1, value + 0.1]}},
            primary_value=value,
        )
    organizer = Client()
    organizer.force_login(people.organizer)
    for client in (Client(), organizer):
        page = client.get("/b/tiny/image/").content.decode()
        section = page[page.index('id="split-ood"') :]
        assert "Revealed by the organizers at the end of the phase." in section
        assert "0.6500" not in page
    assert Client().get("/b/tiny/image/ood.csv").status_code == 404
    split_publish_results(split=ood, actor="organizer", reason="reveal")
    rows, _ = leaderboard_for_split(split=ood, track=board.track)
    assert [(r.method, r.rank) for r in rows] == [("second", 1), ("first", 2)]
    assert all(r.interval is not None for r in rows)
    page = Client().get("/b/tiny/image/").content.decode()
    section = page[page.index('id="split-ood"') :]
    assert "One row per final pick." in section and "0.6500" in section and "0.5500" in section
    assert page.index('id="split-test"') < page.index('id="split-ood"'), "tiers in order"
    # The generalization matrix compares every method: never the picks-only tier.
    columns, _ = generalization_matrix()
    assert all(column.split.name != "ood" for column in columns)


def test_the_benchmark_page_lists_phases_in_plain_words(people) -> None:
    board = tiny_benchmark(picks=3)
    page = Client().get("/b/tiny/").content.decode()
    assert 'id="phases"' in page and "up to 3" in page and "open</span>" in page
    assert "revealed at the end of the phase" in page
    assert "Out-of-distribution tier: <code>ood</code>" in page
    assert "Each team is ranked by its best submission on the primary metric." in page
    board.phase.delete()
    page = Client().get("/b/tiny/").content.decode()
    assert "No phases: submissions are accepted at any time." in page

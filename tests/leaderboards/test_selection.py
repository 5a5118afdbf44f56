"""Selection without peeking (protocol §5): what stands for a team on a hidden board is chosen
without that split's labels, and each row says which rule chose it."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import team_create
from benchmarks.models import Track
from benchmarks.services import split_publish_results
from leaderboards.selectors import generalization_matrix, leaderboard_for_split
from submissions.models import FinalPick, Result, Submission
from submissions.picks import final_pick_add
from tests.submissions.test_picks_support import scored, tiny_benchmark

pytestmark = pytest.mark.django_db


def _rows(board, split: str) -> list[tuple[str, float | None, str]]:  # type: ignore[no-untyped-def]
    rows, _ = leaderboard_for_split(split=board.splits[split], track=board.track)
    return [(row.method, row.primary, row.chosen_by) for row in rows]


def _publish(board) -> None:  # type: ignore[no-untyped-def]
    split_publish_results(split=board.splits["test"], published=True, reason="phase over")


def test_the_hidden_board_takes_the_best_on_val_never_the_best_on_test(people) -> None:
    board = tiny_benchmark()
    scored(board, people.team, "val-best", test=0.60, val=0.90)
    scored(board, people.team, "test-best", test=0.95, val=0.70)
    _publish(board)
    assert _rows(board, "val") == [("val-best", 0.90, "best on val")]
    assert _rows(board, "test") == [("val-best", 0.60, "best on val")]
    csv = Client().get("/b/tiny/image/test.csv").content.decode()
    assert "chosen_by" in csv and "best on val" in csv and "test-best" not in csv
    api = Client().get("/api/v1/tracks/tiny/image/leaderboard/?split=test").json()
    assert api["splits"][0]["rows"][0]["chosen_by"] == "best on val"
    page = Client().get("/b/tiny/image/").content.decode()
    assert "Chosen by" in page and "Disclosure policy" in page
    # The generalization matrix's hidden column holds the board's row, not the best on test.
    columns, groups = generalization_matrix()
    assert columns[0].split == board.splits["test"]
    cells = {row.method: row.cells[0] for rows in groups.values() for row in rows}
    assert cells == {"val-best": 0.60}


def test_final_picks_stand_for_the_team_and_the_last_rule_takes_the_latest(people) -> None:
    board = tiny_benchmark()
    picked = scored(board, people.team, "picked", test=0.55, val=0.50)
    scored(board, people.team, "better-everywhere", test=0.99, val=0.99)
    final_pick_add(phase=board.phase, submission=picked, user=people.owner)
    cats = team_create(name="Cats")
    early = scored(board, cats, "early", test=0.9, val=0.9)
    late = scored(board, cats, "late", test=0.6, val=0.6)
    now = timezone.now()
    Submission.objects.filter(pk=early.pk).update(finished_at=now - timedelta(hours=2))
    Submission.objects.filter(pk=late.pk).update(finished_at=now - timedelta(hours=1))
    _publish(board)
    assert _rows(board, "test") == [("early", 0.9, "best on val"), ("picked", 0.55, "final pick")]
    Track.objects.filter(pk=board.track.pk).update(entry_rule=Track.EntryRule.LAST)
    board.track.refresh_from_db()
    assert ("late", 0.6, "latest") in _rows(board, "test")


def test_the_public_part_chooses_when_the_phase_declares_one(people) -> None:
    board = tiny_benchmark()
    a = scored(board, people.team, "public-best", test=0.61, val=0.50)
    b = scored(board, people.team, "val-best", test=0.97, val=0.99)
    for submission, public in ((a, 0.93), (b, 0.52)):
        Result.objects.filter(submission=submission, split=board.splits["test"]).update(
            parts={
                "public": {"metrics": {"auc": public}, "fraction": 0.25, "n_units": 3},
                "private": {"metrics": {"auc": 0.1}},
            }
        )
    # Before publication: the public part shows at once, the private numbers nowhere.
    assert _rows(board, "test") == []
    page = Client().get("/b/tiny/image/").content.decode()
    assert 'id="public-part-test"' in page and "0.9300" in page and "0.6100" not in page
    api = Client().get("/api/v1/tracks/tiny/image/leaderboard/?split=test").json()
    (part,) = api["splits"][0]["public_part"]
    assert (part["method"], part["primary"], part["chosen_by"]) == (
        "public-best",
        0.93,
        "best on public part",
    )
    owner = Client()
    owner.force_login(people.owner)
    mine = owner.get(f"/submissions/{a.pk}/").content.decode()
    assert 'id="withheld-test"' in mine and "0.9300" in mine and "0.6100" not in mine
    _publish(board)
    assert _rows(board, "test") == [("public-best", 0.61, "best on public part")]


def test_hidden_rows_of_submissions_made_after_publication_wait_for_the_next_one(people) -> None:
    board = tiny_benchmark()
    scored(board, people.team, "before", test=0.7, val=0.6)
    _publish(board)
    after = scored(board, people.team, "after", test=0.9, val=0.95)
    board.splits["test"].refresh_from_db()
    assert after.created_at > board.splits["test"].published_through
    # The newer one is best on val, but its hidden result is not disclosed yet.
    assert _rows(board, "val")[0][0] == "after"
    assert _rows(board, "test") == [("before", 0.7, "best on val")]
    assert FinalPick.objects.count() == 0
    split_publish_results(split=board.splits["test"], published=True, reason="next")
    assert _rows(board, "test") == [("after", 0.9, "best on val")]

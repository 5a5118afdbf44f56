"""The robustness board shows what every board may show, and one entry per team chosen without
the hidden labels (a team submitting N times must not get its best of N)."""

import pytest
from django.test import Client

from accounts.services import team_create, user_create
from benchmarks.models import Split, Track
from benchmarks.services import split_publish_results
from benchmarks.smoke_install import smoke_install
from leaderboards.robustness import robustness_results
from review.services import result_set_status
from submissions.models import Provenance
from tests.support import finished_result

pytestmark = pytest.mark.django_db
URL = "/b/smoke-detect/image-robustness/"


@pytest.fixture
def robust() -> Track:
    smoke_install(scale=0.05, tracks={"smoke-detect/image-robustness"})
    return Track.objects.get(benchmark__slug="smoke-detect", slug="image-robustness")


def _score_everywhere(track: Track, team, method: str, value: float) -> list:  # type: ignore[no-untyped-def]
    return [
        finished_result(
            track=track,
            split=split,
            team=team,
            method=method,
            metrics={"auc": value, "ci": {"auc": [value - 0.05, value]}},
            primary_value=value,
        )
        for split in track.splits.all()
        if not split.is_debug
    ]


def _publish(track: Track) -> None:
    for split in track.splits.filter(visibility=Split.Visibility.HIDDEN):
        split_publish_results(split=split)


def test_a_removed_result_leaves_the_robustness_board(robust) -> None:
    organizer = user_create(username="org", password="pw-org-12345", is_staff=True)
    cheaters = team_create(name="Cheaters")
    removed = _score_everywhere(robust, cheaters, "cheatnet", 0.99)
    _score_everywhere(robust, team_create(name="Honest"), "honestnet", 0.7)
    _publish(robust)
    assert {row.method for row in robustness_results(track=robust)} == {"cheatnet", "honestnet"}
    for result in removed:
        result_set_status(result=result, status="removed", user=organizer, reason="cheated")
    assert [row.method for row in robustness_results(track=robust)] == ["honestnet"]
    page = Client().get(URL).content.decode()
    assert "honestnet" in page and "cheatnet" not in page


def test_one_entry_per_team_chosen_without_the_hidden_numbers(robust) -> None:
    many = team_create(name="Many")
    for method, value in (("try1", 0.61), ("try2", 0.93), ("try3", 0.72)):
        _score_everywhere(robust, many, method, value)
    _score_everywhere(robust, team_create(name="Incomplete"), "noprov", 0.95)
    Provenance.objects.filter(result__submission__method_name="noprov").update(complete=False)
    _publish(robust)
    rows = robustness_results(track=robust)
    # No public split on a robustness track: the latest stands, not the best hidden score.
    assert [(row.team, row.method) for row in rows] == [("Many", "try3")]

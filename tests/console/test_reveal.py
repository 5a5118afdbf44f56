"""The organizer console's reveal of out-of-distribution results: staff only, with a reason."""

import pytest
from django.test import Client

from audit.models import AuditAction, AuditEntry
from submissions.models import FinalPick, SplitRun
from tests.submissions.test_picks_support import scored, tiny_benchmark

pytestmark = pytest.mark.django_db


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_only_organizers_reach_the_reveal_and_it_needs_a_reason(people) -> None:
    board = tiny_benchmark()
    url = f"/organize/phases/{board.phase.pk}/reveal/"
    for user in (people.owner, people.outsider):
        assert _client(user).post(url, {"reason": "now"}).status_code == 302  # to the login
        assert _client(user).get("/organize/reveal/").status_code == 302
    board.phase.refresh_from_db()
    assert board.phase.revealed_at is None
    organizer = _client(people.organizer)
    page = organizer.post(url, {"reason": " "}, follow=True).content.decode()
    assert "Say why: revealing results needs a reason." in page
    board.phase.refresh_from_db()
    assert board.phase.revealed_at is None


def test_the_organizer_reveals_a_phase_from_the_console(people) -> None:
    board = tiny_benchmark()
    scored(board, people.team, "best", test=0.9)
    scored(board, people.team, "second", test=0.8)
    scored(board, people.team, "third", test=0.7)
    organizer = _client(people.organizer)
    home = organizer.get("/organize/").content.decode()
    assert 'id="console-reveal-link"' in home
    listing = organizer.get("/organize/reveal/").content.decode()
    assert "Reveal out-of-distribution results</button>" in listing
    assert "0 chosen, 0 automatic (up to 2 per team)" in listing
    response = organizer.post(
        f"/organize/phases/{board.phase.pk}/reveal/", {"reason": "phase over"}, follow=True
    )
    page = response.content.decode()
    assert "Tiny / Open revealed: 2 final picks (2 automatic), 2 out-of-distribution runs" in page
    assert "0 chosen, 2 automatic" in page and "2 queued" in page
    assert "Send queued runs again</button>" in page
    assert set(FinalPick.objects.values_list("submission__method_name", flat=True)) == {
        "best",
        "second",
    }
    assert SplitRun.objects.filter(split=board.splits["ood"]).count() == 2
    entry = AuditEntry.objects.get(action=AuditAction.OOD_REVEALED)
    assert (entry.actor, entry.reason, entry.target_type) == ("organizer", "phase over", "phase")
    again = organizer.post(
        f"/organize/phases/{board.phase.pk}/reveal/", {"reason": "broker was down"}, follow=True
    ).content.decode()
    assert "was already revealed; 2 queued runs sent again" in again

"""The console's phase and quota pages per role (the matrix of tests/platform/test_roles.py,
extended to the new pages): organizers only; everyone else is sent to the login page."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.services import user_create
from benchmarks.models import Phase

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "teammate", "owner", "reviewer", "organizer")
LOGIN = 302


@pytest.fixture
def clients(people):  # type: ignore[no-untyped-def]
    reviewer = user_create(username="reviewer", password="pw-reviewer-123")
    reviewer.groups.add(Group.objects.get_or_create(name="reviewers")[0])
    users = {
        "outsider": people.outsider,
        "teammate": people.teammate,
        "owner": people.owner,
        "reviewer": reviewer,
        "organizer": people.organizer,
    }
    out = {"anonymous": Client()}
    for role, user in users.items():
        out[role] = Client()
        out[role].force_login(user)
    return out


PAGES = ("/organize/phases/new/", "/organize/phases/{phase}/", "/organize/tracks/{track}/rules/")


@pytest.mark.parametrize("page", PAGES)
def test_only_organizers_open_the_edit_pages(page, clients, smoke_track) -> None:
    phase = smoke_track.benchmark.phases.get(slug="open")
    url = page.format(phase=phase.pk, track=smoke_track.pk)
    got = tuple(clients[role].get(url).status_code for role in ROLES)
    assert got == (LOGIN,) * 5 + (200,)


def test_only_organizers_change_phases_and_quotas(clients, smoke_track) -> None:
    phase = smoke_track.benchmark.phases.get(slug="open")
    for role in ROLES[:-1]:
        clients[role].post(
            f"/organize/phases/{phase.pk}/",
            {"name": "x", "starts_at": "2026-01-01T00:00", "final_picks": "9", "reason": "r"},
        )
        clients[role].post(
            f"/organize/tracks/{smoke_track.pk}/rules/",
            {"daily_submission_limit": "1", "entry_rule": "last", "reason": "r"},
        )
        clients[role].post(
            "/organize/phases/new/",
            {
                "benchmark": smoke_track.benchmark.pk,
                "slug": "sneaky",
                "name": "x",
                "starts_at": "2026-01-01T00:00",
                "final_picks": "1",
                "reason": "r",
            },
        )
    phase.refresh_from_db()
    smoke_track.refresh_from_db()
    assert phase.final_picks == 2 and smoke_track.daily_submission_limit is None
    assert not Phase.objects.filter(slug="sneaky").exists()

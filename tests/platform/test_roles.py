"""Every page for every role: anonymous, outsider, teammate, owner, reviewer, organizer.

Each cell is the status code the role gets; for pages that show more to some roles, the
assertions below the table check what leaks and what does not.
"""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.services import user_create
from submissions.models import Status, Submission

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "teammate", "owner", "reviewer", "organizer")
LOGIN = 302  # sent to the login page

# page -> expected status per role, in ROLES order
PAGES = {
    "/": (200,) * 6,
    "/generalization/": (200,) * 6,
    "/b/smoke-detect/": (200,) * 6,
    "/b/smoke-detect/image/": (200,) * 6,
    "/b/smoke-detect/image/val.csv": (200,) * 6,
    "/b/smoke-detect/image/test.csv": (404,) * 6,  # hidden and unpublished
    "/submissions/": (LOGIN, 200, 200, 200, 200, 200),
    "/submissions/new/": (LOGIN, 200, 200, 200, 200, 200),
    "/submissions/{submission}/": (200,) * 6,
    "/teams/{team}/": (200,) * 6,
    "/organize/": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
    # Organizer pages that refuse a signed-in non-organizer instead of asking them to log in.
    "/organize/benchmarks/smoke-detect/analytics/": (LOGIN, 403, 403, 403, 403, 200),
    "/organize/benchmarks/smoke-detect/analytics/waits.csv": (LOGIN, 403, 403, 403, 403, 200),
    "/organize/definitions/new/": (LOGIN, 403, 403, 403, 403, 200),
    "/organize/benchmarks/smoke-detect/definition/": (LOGIN, 403, 403, 403, 403, 200),
    "/audit/log/": (LOGIN, 403, 403, 403, 200, 200),
    "/admin/": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, 200),
}


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
        client = Client()
        client.force_login(user)
        out[role] = client
    return out


@pytest.fixture
def failed_submission(people, smoke_track) -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="secret-sauce",
        training_data="other: x",
        image_id="sha256:x",
        status=Status.FAILED,
        failure_code="nonzero_exit",
        failure_reason="test: the container exited with code 1",
        log_tail="TRACEBACK-WITH-TEAM-SECRETS",
    )


@pytest.mark.parametrize("page", list(PAGES))
def test_each_role_gets_what_it_should(page, clients, people, failed_submission) -> None:
    url = page.format(submission=failed_submission.pk, team=people.team.slug)
    got = tuple(clients[role].get(url).status_code for role in ROLES)
    assert got == PAGES[page], dict(zip(ROLES, got, strict=True))


def test_logs_only_for_the_team_and_organizers(clients, failed_submission) -> None:
    url = f"/submissions/{failed_submission.pk}/"
    sees = {
        role: "TRACEBACK-WITH-TEAM-SECRETS" in clients[role].get(url).content.decode()
        for role in ROLES
    }
    assert sees == {
        "anonymous": False,
        "outsider": False,
        "teammate": True,
        "owner": True,
        "reviewer": False,
        "organizer": True,
    }


def test_only_the_team_can_cancel_and_outsiders_learn_nothing(clients, people, smoke_track) -> None:
    queued = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="x",
        image_id="sha256:x",
        status=Status.QUEUED,
    )
    url = f"/submissions/{queued.pk}/cancel/"
    assert clients["anonymous"].post(url).status_code == LOGIN
    assert clients["outsider"].post(url).status_code == 404
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert clients["teammate"].post(url).status_code == 302
    queued.refresh_from_db()
    assert queued.status == Status.CANCELLED


def test_only_organizers_publish_hidden_results(clients, smoke_track) -> None:
    hidden = smoke_track.splits.get(name="test")
    url = f"/organize/splits/{hidden.pk}/publication/"
    for role in ("anonymous", "outsider", "owner", "reviewer"):
        clients[role].post(url, {"publish": "1", "reason": "try"})
        hidden.refresh_from_db()
        assert not hidden.results_published, role
    clients["organizer"].post(url, {"publish": "1", "reason": "phase over"})
    hidden.refresh_from_db()
    assert hidden.results_published

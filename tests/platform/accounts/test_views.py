import pytest
from django.test import Client

from accounts.models import Membership, Team
from submissions.models import Status, Submission

pytestmark = pytest.mark.django_db


def test_signup_then_create_a_team_as_its_owner() -> None:
    client = Client()
    response = client.post(
        "/signup/",
        {"username": "newbie", "password1": "a-long-pass-123", "password2": "a-long-pass-123"},
    )
    assert response.status_code == 302 and response["Location"] == "/teams/new/"
    response = client.post("/teams/new/", {"name": "Night Owls"})
    team = Team.objects.get(name="Night Owls")
    assert response["Location"] == f"/teams/{team.slug}/"
    assert Membership.objects.get(team=team).role == "owner"
    assert client.post("/teams/new/", {"name": "night owls"}).status_code == 200  # taken


def test_outsiders_see_only_finished_submissions_on_a_team_page(people, smoke_track) -> None:
    for status, method in ((Status.FINISHED, "shown-method"), (Status.FAILED, "hidden-method")):
        Submission.objects.create(
            team=people.team,
            track=smoke_track,
            method_name=method,
            training_data="x",
            image_id="sha256:x",
            status=status,
        )
    outsider, teammate = Client(), Client()
    outsider.force_login(people.outsider)
    teammate.force_login(people.teammate)
    url = f"/teams/{people.team.slug}/"
    assert "hidden-method" not in outsider.get(url).content.decode()
    assert "shown-method" in outsider.get(url).content.decode()
    assert "hidden-method" in teammate.get(url).content.decode()


def test_members_see_quota_left_before_submitting(people, smoke_track) -> None:
    smoke_track.daily_submission_limit = 3
    smoke_track.total_submission_limit = 10
    smoke_track.save()
    Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="x",
        image_id="sha256:x",
        status=Status.FINISHED,
    )
    Submission.objects.create(  # the platform's fault: never counted
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="x",
        image_id="sha256:x",
        status=Status.FAILED,
        failure_code="platform_error",
    )
    teammate, outsider = Client(), Client()
    teammate.force_login(people.teammate)
    outsider.force_login(people.outsider)
    team_page = teammate.get(f"/teams/{people.team.slug}/").content.decode()
    assert "1 of 3" in team_page and "1 of 10" in team_page and "<td>2</td>" in team_page
    assert "1 of 3" in teammate.get("/submissions/new/").content.decode()
    assert 'id="quotas"' not in outsider.get(f"/teams/{people.team.slug}/").content.decode()

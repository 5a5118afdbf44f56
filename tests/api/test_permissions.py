"""Who may do what: owner, teammate, outsider, anonymous."""

import pytest

from submissions.models import SplitRun, Status, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed_submission(people, smoke_track) -> Submission:
    submission = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        submitted_by=people.owner,
        method_name="Crashy",
        training_data="other: none",
        image_id="sha256:" + "1" * 64,
        status=Status.FAILED,
        failure_code="nonzero_exit",
        failure_reason="val: the container exited with code 3",
        log_tail="Traceback: secret path /opt/model/weights.bin",
    )
    SplitRun.objects.create(
        submission=submission,
        split=smoke_track.splits.get(name="val"),
        outcome="nonzero_exit",
        exit_code=3,
        log_tail="Traceback: secret path /opt/model/weights.bin",
    )
    return submission


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("teammate", 200), ("outsider", 403), ("organizer", 200)]
)
def test_logs_are_for_the_team(people, client_for, failed_submission, who, status) -> None:
    response = client_for(getattr(people, who)).get(
        f"/api/v1/submissions/{failed_submission.pk}/logs/"
    )
    assert response.status_code == status
    if status == 200:
        assert response.json()["runs"][0]["log_tail"].startswith("Traceback")
    else:
        assert response.json()["code"] == "not_your_team"
        assert "secret" not in response.content.decode()


def test_anonymous_logs_need_a_token(client_for, failed_submission) -> None:
    response = client_for().get(f"/api/v1/submissions/{failed_submission.pk}/logs/")
    assert response.status_code == 401


@pytest.mark.parametrize(("who", "count"), [("owner", 1), ("teammate", 1), ("outsider", 0)])
def test_submission_lists_hold_own_teams_only(people, client_for, failed_submission, who, count):
    assert len(client_for(getattr(people, who)).get("/api/v1/submissions/").json()) == count


def test_an_outsider_cannot_upload_for_a_team(people, smoke_track, client_for) -> None:
    response = client_for(people.outsider).post(
        "/api/v1/uploads/",
        {
            "track": "smoke-detect/image",
            "team": people.team.slug,
            "method_name": "x",
            "training_data": "other: x",
            "size": 5000,
            "sha256": "a" * 64,
        },
        format="json",
    )
    assert response.status_code == 403 and response.json()["code"] == "not_a_member"


def test_a_teammate_cannot_touch_the_owners_upload(people, smoke_track, client_for) -> None:
    body = {
        "track": "smoke-detect/image",
        "method_name": "x",
        "training_data": "other: x",
        "size": 5000,
        "sha256": "a" * 64,
    }
    upload = client_for(people.owner).post("/api/v1/uploads/", body, format="json").json()
    teammate = client_for(people.teammate)
    assert teammate.get(f"/api/v1/uploads/{upload['id']}/").status_code == 404
    made = teammate.post("/api/v1/submissions/", {"upload": upload["id"]}, format="json")
    assert made.status_code == 404


def test_status_is_public_but_hidden_results_wait_for_publication(
    people, client_for, failed_submission
) -> None:
    response = client_for().get(f"/api/v1/submissions/{failed_submission.pk}/")
    assert response.status_code == 200 and response.json()["status"] == "failed"
    assert client_for().get(f"/api/v1/submissions/{failed_submission.pk}/results/").json() == []

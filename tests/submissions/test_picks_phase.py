"""Submissions are accepted only while a phase of the benchmark is open (or it has none)."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import team_create
from api.models import UploadSession
from api.tokens import token_create
from benchmarks.models import Phase
from submissions.models import Submission
from submissions.selectors import phase_refusal
from submissions.services import SubmissionRejected, submission_create_from_image
from tests.submissions.test_picks_support import tiny_benchmark

pytestmark = pytest.mark.django_db

ENDED = datetime(2026, 3, 1, tzinfo=UTC)
MESSAGE = "phase 'open' ended at 2026-03-01 00:00 UTC; no phase open"


def _close(board) -> None:  # type: ignore[no-untyped-def]
    Phase.objects.filter(pk=board.phase.pk).update(
        starts_at=ENDED - timedelta(days=30), ends_at=ENDED
    )


def test_the_refusal_names_the_phase_that_ended_and_the_next_one(people) -> None:
    board = tiny_benchmark()
    now = timezone.now()
    assert phase_refusal(track=board.track, now=now) is None
    _close(board)
    assert phase_refusal(track=board.track, now=now) == MESSAGE
    Phase.objects.create(
        benchmark=board.benchmark,
        slug="final",
        name="Final",
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=9),
    )
    assert str(phase_refusal(track=board.track, now=now)).startswith(
        MESSAGE + "; phase 'final' opens"
    )
    # The edges: open from starts_at, closed from ends_at.
    assert phase_refusal(track=board.track, now=ENDED - timedelta(days=30)) is None
    assert phase_refusal(track=board.track, now=ENDED) is not None
    Phase.objects.filter(benchmark=board.benchmark).delete()
    assert phase_refusal(track=board.track, now=now) is None, "no phases: always open"


def test_the_service_refuses_outside_phases_but_baselines_are_the_platforms(people) -> None:
    board = tiny_benchmark()
    _close(board)
    with pytest.raises(SubmissionRejected, match=MESSAGE):
        submission_create_from_image(
            team=people.team,
            track=board.track,
            user=people.owner,
            image_reference="forgerybench/no-such-image:latest",
            method_name="m",
            training_data="other: none",
        )
    baselines = team_create(name="Baselines", is_baseline=True)
    # Past the phase check, the missing image is what stops it.
    with pytest.raises(SubmissionRejected) as caught:
        submission_create_from_image(
            team=baselines,
            track=board.track,
            user=None,
            image_reference="forgerybench/no-such-image:latest",
            method_name="m",
            training_data="other: none",
        )
    assert "phase" not in str(caught.value)
    assert Submission.objects.count() == 0


def test_the_upload_page_shows_the_phase_error(people) -> None:
    board = tiny_benchmark()
    _close(board)
    client = Client()
    client.force_login(people.owner)
    upload = io.BytesIO(b"x" * 4096)
    upload.name = "model.tar"
    response = client.post(
        "/submissions/new/",
        {
            "team": people.team.pk,
            "track": board.track.pk,
            "method_name": "My detector",
            "training_data": "other: my data",
            "image": upload,
        },
    )
    assert response.status_code == 400
    assert MESSAGE.replace("'", "&#x27;") in response.content.decode()
    assert Submission.objects.count() == 0


def test_the_api_refuses_the_upload_before_any_byte(people) -> None:
    board = tiny_benchmark()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=people.owner, name='t')[1]}")
    body = {
        "track": "tiny/image",
        "team": people.team.slug,
        "method_name": "m",
        "training_data": "other: none",
        "size": 4096,
        "sha256": "a" * 64,
    }
    assert api.post("/api/v1/uploads/", body, format="json").status_code == 201
    _close(board)
    response = api.post("/api/v1/uploads/", body, format="json")
    assert response.status_code == 409
    assert response.json() == {"code": "phase_closed", "message": MESSAGE}
    assert UploadSession.objects.count() == 1

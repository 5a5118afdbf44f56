"""The upload page tells a closed phase on GET, before any byte is sent, and offers no upload."""

import io
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import team_create
from benchmarks.models import Benchmark, Phase, Track
from submissions.models import Submission
from tests.submissions.test_picks_phase import MESSAGE, _close
from tests.submissions.test_picks_support import tiny_benchmark

pytestmark = pytest.mark.django_db

SHOWN = MESSAGE.replace("'", "&#x27;")
FILE_INPUT = 'type="file"'
SUBMIT_BUTTON = '<button type="submit">Submit</button>'


def _page(user, query: str = "") -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get(f"/submissions/new/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_an_open_phase_shows_the_upload_form(people) -> None:
    board = tiny_benchmark()
    page = _page(people.owner, f"?track={board.track.pk}")
    assert FILE_INPUT in page and SUBMIT_BUTTON in page
    assert "takes no submission now" not in page


def test_a_closed_phase_is_told_on_get_without_a_file_input(people) -> None:
    board = tiny_benchmark()
    _close(board)
    for query in ("", f"?track={board.track.pk}"):
        page = _page(people.owner, query)
        assert SHOWN in page, query
        assert FILE_INPUT not in page and SUBMIT_BUTTON not in page, query
    # The next opening is told too.
    Phase.objects.create(
        benchmark=board.benchmark,
        slug="final",
        name="Final",
        starts_at=timezone.now() + timedelta(days=2),
        ends_at=timezone.now() + timedelta(days=9),
    )
    assert SHOWN + "; phase &#x27;final&#x27; opens at" in _page(people.owner)


def test_a_post_anyway_is_still_refused_by_the_service(people, settings) -> None:
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
            "method_name": "m",
            "training_data": "other: none",
            "image": upload,
        },
    )
    assert response.status_code == 400 and SHOWN in response.content.decode()
    assert Submission.objects.count() == 0
    # Refused by the service after the form took the file: the request's end deletes it.
    assert list(settings.FORGERYBENCH_UPLOAD_DIR.glob("*.upload")) == []


def test_a_baseline_team_member_still_gets_the_form(people) -> None:
    board = tiny_benchmark()
    _close(board)
    team_create(name="Platform baselines", owner=people.outsider, is_baseline=True)
    page = _page(people.outsider, f"?track={board.track.pk}")
    assert FILE_INPUT in page and SHOWN not in page


def test_only_the_closed_track_is_closed(people) -> None:
    board = tiny_benchmark()
    _close(board)
    always = Benchmark.objects.create(slug="nophase", name="No phases")
    other = Track.objects.create(
        benchmark=always, slug="image", name="Open image", task="detection", primary_metric="auc"
    )
    page = _page(people.owner)
    assert SHOWN in page and FILE_INPUT in page, "one track still takes submissions"
    assert FILE_INPUT in _page(people.owner, f"?track={other.pk}")
    assert FILE_INPUT not in _page(people.owner, f"?track={board.track.pk}")

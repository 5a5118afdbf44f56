"""The final picks API: list, pick, unpick, each refusal with its code."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.tokens import token_create
from benchmarks.models import Phase
from submissions.models import FinalPick
from tests.submissions.test_picks_support import queued, scored, tiny_benchmark

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t')[1]}")
    return client


def test_pick_list_and_unpick_through_the_api(people) -> None:
    board = tiny_benchmark(picks=1)
    first, second = scored(board, people.team, "a", 0.7), scored(board, people.team, "b", 0.8)
    owner = _api(people.owner)
    created = owner.post("/api/v1/picks/", {"submission": first.pk}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phase"] == "tiny/open" and body["team"] == people.team.slug
    assert body["submission"] == first.pk and body["picked_by"] == "owner"
    assert body["automatic"] is False
    refused = owner.post(
        "/api/v1/picks/", {"submission": second.pk, "phase": "tiny/open"}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "too_many_picks"
    assert "picked 1 of 1" in refused.json()["message"]
    listed = _api(people.teammate).get("/api/v1/picks/?phase=tiny/open").json()
    assert [p["submission"] for p in listed] == [first.pk]
    assert _api(people.outsider).get("/api/v1/picks/").json() == []
    assert _api(people.outsider).delete(f"/api/v1/picks/{body['id']}/").status_code == 404
    assert owner.delete(f"/api/v1/picks/{body['id']}/").status_code == 204
    assert FinalPick.objects.count() == 0


def test_api_refusals_are_named(people) -> None:
    board = tiny_benchmark()
    owner = _api(people.owner)
    waiting = queued(board, people.team, "waiting")
    response = owner.post("/api/v1/picks/", {"submission": waiting.pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_finished"
    done = scored(board, people.team, "done", 0.7)
    outsider = _api(people.outsider).post("/api/v1/picks/", {"submission": done.pk}, format="json")
    assert outsider.status_code == 404, "another team's submission is not even named"
    unknown = owner.post(
        "/api/v1/picks/", {"submission": done.pk, "phase": "tiny/nope"}, format="json"
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "phase_not_found"
    Phase.objects.filter(pk=board.phase.pk).update(revealed_at=timezone.now())
    closed = owner.post("/api/v1/picks/", {"submission": done.pk}, format="json")
    assert closed.status_code == 409 and closed.json()["code"] == "phase_closed"
    bad = owner.post("/api/v1/picks/", {"submission": "x"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert _api(None).get("/api/v1/picks/").status_code == 401

"""Agent presence through the real agent API view and real PostgreSQL: what an agent may say
of itself, how the status selectors read it, and what a stolen credential can spoil (its own
rows only)."""

import json
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from runs.models import AgentPresence, RunJob
from runs.presence import MAX_NAMES_PER_CREDENTIAL
from runs.selectors import agents_seen
from runs.services import (
    agent_credential_create,
    agent_credential_revoke,
    runjob_claim,
)
from tests.runs.jobs import queued_run_job

pytestmark = pytest.mark.django_db

URL = "/api/agent/v1/presence"
WINDOW = timedelta(seconds=settings.FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS)


def _say(token: str, **body: Any) -> Any:
    payload = {"name": "box-1", "queues": ["cpu"], "slots": 2, "busy": 0, **body}
    return Client().post(
        URL,
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Agent {token}",
    )


def _seen(name: str) -> Any:
    (found,) = [a for a in agents_seen(now=timezone.now()) if a.name.startswith(name)]
    return found


def test_an_agent_is_idle_busy_stale_then_down() -> None:
    _, token = agent_credential_create(name="box-1", queues=["cpu", "gpu"])
    answer = _say(token, gpu_devices=["0", "1"], started_at=timezone.now().isoformat())
    assert answer.status_code == 200, answer.content
    assert answer.json()["every_seconds"] == settings.FORGERYBENCH_AGENT_PRESENCE_SECONDS
    seen = _seen("box-1")
    assert (seen.state, seen.slots, seen.busy, seen.gpu_devices) == ("idle", 2, 0, 2)
    assert seen.queues == ("cpu",) and seen.up
    assert _say(token, busy=1).status_code == 200
    assert _seen("box-1").state == "busy"
    # Missed beats: stale past the window, down past ten windows.
    AgentPresence.objects.update(last_seen_at=timezone.now() - WINDOW - timedelta(seconds=1))
    assert _seen("box-1").state == "stale" and not _seen("box-1").up
    AgentPresence.objects.update(last_seen_at=timezone.now() - WINDOW * 11)
    assert _seen("box-1").state == "down"
    # A day of silence: no longer listed.
    AgentPresence.objects.update(last_seen_at=timezone.now() - timedelta(days=1, seconds=1))
    assert not agents_seen(now=timezone.now())
    # Back, then a clean stop: down at once.
    assert _say(token).status_code == 200
    assert _seen("box-1").state == "idle"
    assert _say(token, stopping=True).status_code == 200
    assert _seen("box-1").state == "down"
    # A revoked credential's agent is down, and can no longer say otherwise.
    assert _say(token).status_code == 200
    agent_credential_revoke(name="box-1")
    assert _seen("box-1").state == "down"
    assert _say(token).status_code == 401


def test_a_credential_writes_only_its_own_rows_and_bad_input_is_named() -> None:
    _, honest = agent_credential_create(name="honest", queues=["cpu", "gpu"])
    _, stolen = agent_credential_create(name="stolen", queues=["cpu", "gpu"])
    assert _say(honest, name="gpu-box", queues=["gpu"], slots=4, busy=3).status_code == 200
    # The thief names the honest agent: it writes a row of its own, the honest one is intact.
    assert _say(stolen, name="gpu-box", queues=["gpu"], slots=0, busy=0).status_code == 200
    rows = {p.credential.name: p for p in AgentPresence.objects.select_related("credential")}
    assert (rows["honest"].slots, rows["honest"].busy) == (4, 3)
    assert (rows["stolen"].slots, rows["stolen"].busy) == (0, 0)
    names = sorted(a.name for a in agents_seen(now=timezone.now()))
    assert names == ["gpu-box (honest)", "gpu-box (stolen)"]
    before = list(AgentPresence.objects.values())
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "bad_name"),
        ({"name": "a b"}, "bad_name"),
        ({"name": "x" * 81}, "bad_name"),
        ({"name": "\x00evil"}, "bad_name"),
        ({"queues": ["score"]}, "bad_queues"),
        ({"queues": []}, "bad_queues"),
        ({"queues": ["cpu", "cpu"]}, "bad_queues"),
        ({"slots": -1}, "bad_slots"),
        ({"slots": 10**6}, "bad_slots"),
        ({"slots": "2"}, "bad_slots"),
        ({"busy": 3}, "bad_busy"),
        ({"busy": True}, "bad_busy"),
        ({"gpu_devices": ["0;rm -rf /"]}, "bad_gpu_devices"),
        ({"gpu_devices": "0"}, "bad_gpu_devices"),
        ({"started_at": "yesterday"}, "bad_started_at"),
    ]
    for body, code in cases:
        answer = _say(stolen, **{"name": "gpu-box", **body})
        assert answer.status_code == 400, body
        assert answer.json()["code"] == code, (body, answer.json())
    assert list(AgentPresence.objects.values()) == before  # nothing written, nothing lost
    # Not a user's business either: no credential, no row.
    answer = Client().post(URL, data="{}", content_type="application/json")
    assert answer.status_code == 401


def test_a_credential_speaks_for_a_bounded_number_of_names() -> None:
    _, token = agent_credential_create(name="many", queues=["cpu", "gpu"])
    for number in range(MAX_NAMES_PER_CREDENTIAL):
        assert _say(token, name=f"n{number}").status_code == 200
    refused = _say(token, name="one-more")
    assert refused.status_code == 400 and refused.json()["code"] == "too_many_agents"
    assert _say(token, name="n0", busy=1).status_code == 200  # a known name still beats
    # Names silent for a day make room.
    AgentPresence.objects.filter(name="n1").update(last_seen_at=timezone.now() - timedelta(days=2))
    assert _say(token, name="one-more").status_code == 200
    assert AgentPresence.objects.count() == MAX_NAMES_PER_CREDENTIAL


def _running_job(people, track, credential, owner: str) -> RunJob:  # type: ignore[no-untyped-def]
    job = queued_run_job(people, track)
    assert runjob_claim(job_id=job.pk, credential=credential, owner=owner).job is not None
    return job


def test_a_restarted_agent_gives_back_only_the_jobs_it_held(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    from unittest import mock

    mine, token = agent_credential_create(name="box", queues=["cpu", "gpu"])
    other, _ = agent_credential_create(name="other", queues=["cpu", "gpu"])
    dead = _running_job(people, smoke_track, mine, "box:41")
    sibling = _running_job(people, smoke_track, mine, "box-2:41")  # another name
    theirs = _running_job(people, smoke_track, other, "box:41")  # another credential
    with (
        mock.patch("forgerybench_site.celery.app.send_task") as send,
        django_capture_on_commit_callbacks(execute=True),
    ):
        answer = _say(token, name="box", slots=0, starting=True)
    assert answer.status_code == 200 and answer.json()["released"] == [dead.pk]
    assert [c.args[1] for c in send.call_args_list] == [(dead.pk,)]
    states = dict(RunJob.objects.values_list("pk", "state"))
    assert states == {dead.pk: "queued", sibling.pk: "running", theirs.pk: "running"}
    dead.refresh_from_db()
    assert (dead.lease_owner, dead.attempt_token) == ("", "")
    # An ordinary beat releases nothing.
    assert _say(token, name="box-2").json()["released"] == []

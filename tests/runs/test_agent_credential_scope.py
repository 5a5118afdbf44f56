"""A stolen agent credential: what it can and cannot reach (the real views, real PostgreSQL).

It can claim (and so see the inputs and image of, and spoil) only jobs queued on the run queues
its operator gave it; a job of another queue is absent to it. It cannot read labels (no route
serves them, and a job's inputs archive holds none), another job's inputs or image, any output
(no route serves one), nor any page or API of the platform: it is not a user anywhere else. A
user's API token or session gets nothing from the agent API either.
"""

import io
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from api.tokens import token_create
from runs.models import RunJob
from runs.services import agent_credential_create
from submissions.models import Status
from tests.runs.jobs import queued_run_job

pytestmark = pytest.mark.django_db

API = "/api/agent/v1"


def _job(people, track, split_name: str) -> RunJob:  # type: ignore[no-untyped-def]
    return queued_run_job(people, track, split_name=split_name)


def _as(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Agent {token}"}


def _claim(client: Client, token: str, job: RunJob) -> dict:
    response = client.post(
        f"{API}/jobs/{job.pk}/claim",
        data=json.dumps({"owner": "thief:1"}),
        content_type="application/json",
        **_as(token),
    )
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def two_agents(people, smoke_track):  # type: ignore[no-untyped-def]
    _, mine = agent_credential_create(name="stolen", queues=["cpu", "gpu"])
    _, other = agent_credential_create(name="honest", queues=["cpu", "gpu"])
    client = Client()
    held = _job(people, smoke_track, "test")  # the hidden split
    theirs = _job(people, smoke_track, "val")
    claim = _claim(client, mine, held)
    their_claim = _claim(client, other, theirs)
    return client, mine, held, claim, theirs, their_claim


def test_the_spec_names_no_path_and_the_inputs_hold_no_label(two_agents, smoke_track) -> None:
    client, mine, held, claim, _, _ = two_agents
    spec = claim["spec"]
    text = json.dumps(spec)
    assert str(settings.DATA_DIR) not in text and '"labels' not in text
    assert set(spec) == {
        "job", "kind", "image_id", "inputs_sha256", "limits", "run_key", "container_labels",
        "heartbeat_seconds",
    }  # fmt: skip
    response = client.get(
        f"{API}/jobs/{held.pk}/inputs/{spec['inputs_sha256']}",
        HTTP_X_ATTEMPT=claim["attempt"],
        **_as(mine),
    )
    assert response.status_code == 200
    archive = b"".join(response.streaming_content)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
        contents = b"".join(
            tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        )
    split = smoke_track.splits.get(name="test")
    truth = Path(split.labels_path).read_bytes()
    assert "manifest.jsonl" in names and not any("truth" in n or "label" in n for n in names)
    assert truth not in contents
    for line in truth.splitlines()[:5]:
        assert line not in contents


def test_another_jobs_inputs_image_output_and_outcome_are_out_of_reach(two_agents) -> None:
    client, mine, _held, claim, theirs, their_claim = two_agents
    sha = their_claim["spec"]["inputs_sha256"]
    for attempt in (claim["attempt"], their_claim["attempt"]):
        headers = {"HTTP_X_ATTEMPT": attempt, **_as(mine)}
        assert client.get(f"{API}/jobs/{theirs.pk}/inputs/{sha}", **headers).status_code == 404
        assert client.get(f"{API}/jobs/{theirs.pk}/image", **headers).status_code == 404
        upload = client.generic(
            "PUT",
            f"{API}/jobs/{theirs.pk}/output",
            data=b"x",
            content_type="application/x-tar",
            HTTP_X_CONTENT_SHA256="0" * 64,
            **headers,
        )
        assert upload.status_code == 404
        for verb in ("heartbeat", "outcome"):
            body = {"attempt": attempt, "outcome": "nonzero_exit", "message": "spoiled"}
            answer = client.post(
                f"{API}/jobs/{theirs.pk}/{verb}",
                data=json.dumps(body),
                content_type="application/json",
                **_as(mine),
            )
            assert answer.status_code in (200, 409)
            if verb == "heartbeat":
                assert answer.json() == {"cancelled": True}
    theirs.refresh_from_db()
    assert theirs.state == "running" and theirs.credential is not None
    assert theirs.credential.name == "honest" and theirs.outcome == ""
    # Nor can it take the other agent's job over, even naming its holder.
    grab = client.post(
        f"{API}/jobs/{theirs.pk}/claim",
        data=json.dumps({"owner": "thief:2", "takeover_from": "thief:1"}),
        content_type="application/json",
        **_as(mine),
    )
    assert grab.status_code == 409 and grab.json()["owner"] == ""


def _all_paths() -> list[str]:
    """Every route of the site with sample values for its parameters."""
    samples = {"int": "1", "slug": "smoke-detect", "uuid": "00000000-0000-0000-0000-000000000001"}
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:  # type: ignore[no-untyped-def]
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern):
                path = prefix + route
                if path.startswith("^") or "(?P" in path:
                    continue  # admin's regex routes: covered by /admin/ below
                for kind, value in samples.items():
                    while f"<{kind}:" in path:
                        start = path.index(f"<{kind}:")
                        path = path[:start] + value + path[path.index(">", start) + 1 :]
                while "<" in path:
                    start = path.index("<")
                    path = path[:start] + "x" + path[path.index(">", start) + 1 :]
                found.append("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found))


def test_an_agent_credential_is_no_one_anywhere_else(two_agents, people) -> None:
    client, mine, *_ = two_agents
    anonymous = Client()
    paths = [p for p in _all_paths() if not p.startswith(API)] + ["/admin/"]
    assert len(paths) > 30
    for path in paths:
        with_token = client.get(path, **_as(mine))
        without = anonymous.get(path)
        # Whatever an anonymous visitor gets, the credential gets: nothing more.
        assert with_token.status_code == without.status_code, path
        if with_token.status_code == 200 and not getattr(with_token, "streaming", False):
            # Digits aside (times and ages move between two requests), the same page.
            same = re.sub(rb"\d", b"", with_token.content) == re.sub(rb"\d", b"", without.content)
            assert same or b"csrf" in without.content, path
    for bearer in ("Bearer", "Token"):
        me = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"{bearer} {mine}")
        assert me.status_code in (401, 403)


def test_user_tokens_and_sessions_get_nothing_from_the_agent_api(two_agents, people) -> None:
    _, _, held, _, _, _ = two_agents
    _, user_token = token_create(user=people.organizer, name="cli")
    session = Client()
    session.force_login(people.organizer)
    authorizations: list[dict[str, Any]] = [
        {"HTTP_AUTHORIZATION": f"Bearer {user_token}"},
        {"HTTP_AUTHORIZATION": f"Agent {user_token}"},
        {},
    ]
    for headers in authorizations:
        for client in (Client(), session):
            answer = client.post(
                f"{API}/jobs/{held.pk}/heartbeat",
                data=json.dumps({"attempt": "x"}),
                content_type="application/json",
                **headers,
            )
            assert answer.status_code == 401


def test_a_revoked_credential_stops_at_once(two_agents) -> None:
    from runs.services import agent_credential_revoke

    client, mine, held, claim, *_ = two_agents
    assert agent_credential_revoke(name="stolen")
    answer = client.post(
        f"{API}/jobs/{held.pk}/heartbeat",
        data=json.dumps({"attempt": claim["attempt"]}),
        content_type="application/json",
        **_as(mine),
    )
    assert answer.status_code == 401


def test_a_credential_claims_only_jobs_of_its_own_queues(people, smoke_track) -> None:
    """A gpu host's credential (stolen) names the job id of a cpu job on the hidden split: the
    claim is refused as if the job did not exist, nothing is served, and the job, the
    submission and the victim's image stay out of its reach."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from evaluator.image_tarball import store_path

    assert smoke_track.queue == "cpu"
    job = _job(people, smoke_track, "test")
    store = Path(settings.FORGERYBENCH_IMAGE_STORE_DIR)
    store.mkdir(parents=True, exist_ok=True)
    store_path(store, job.image_id).write_bytes(b"VICTIM-IMAGE-BYTES")
    _, gpu = agent_credential_create(name="remote-gpu-1", queues=["gpu"])
    client = Client()
    said = client.post(
        f"{API}/presence",
        data=json.dumps({"name": "gpu-box", "queues": ["gpu"], "slots": 1, "busy": 0}),
        content_type="application/json",
        **_as(gpu),
    )
    assert said.status_code == 200
    # Nor can it show itself as serving a queue it was not given.
    said = client.post(
        f"{API}/presence",
        data=json.dumps({"name": "gpu-box", "queues": ["cpu", "gpu"], "slots": 1, "busy": 0}),
        content_type="application/json",
        **_as(gpu),
    )
    assert said.status_code == 400 and said.json()["code"] == "bad_queues"
    for body in ({"owner": "thief:1"}, {"owner": "thief:2", "takeover_from": "thief:1"}):
        claim = client.post(
            f"{API}/jobs/{job.pk}/claim",
            data=json.dumps(body),
            content_type="application/json",
            **_as(gpu),
        )
        assert claim.status_code == 404, claim.content
        assert set(claim.json()) == {"detail"}
    # Same answer as a job id that does not exist: it learns nothing of the job.
    absent = client.post(
        f"{API}/jobs/{job.pk + 1000}/claim",
        data=json.dumps({"owner": "thief:1"}),
        content_type="application/json",
        **_as(gpu),
    )
    assert absent.status_code == 404 and absent.json() == claim.json()
    for attempt in ("", "x" * 32):
        headers = {"HTTP_X_ATTEMPT": attempt, **_as(gpu)}
        assert client.get(f"{API}/jobs/{job.pk}/image", **headers).status_code == 404
        spoil = client.post(
            f"{API}/jobs/{job.pk}/outcome",
            data=json.dumps({"attempt": attempt, "outcome": "nonzero_exit", "exit_code": 1}),
            content_type="application/json",
            **_as(gpu),
        )
        assert spoil.status_code in (404, 409)
    job.refresh_from_db()
    assert (job.state, job.credential_id, job.attempt, job.outcome) == ("queued", None, 0, "")
    job.submission.refresh_from_db()
    assert job.submission.status == Status.QUEUED
    # The agent's own client takes the refusal as "not this agent's job": nothing to run.
    from runagent.client import PlatformClient, Refusal
    from tests.agents import DjangoClientTransport

    agent = PlatformClient(
        "http://testserver", gpu, transport=DjangoClientTransport(), retry_seconds=0
    )
    refusal = agent.claim(job.pk, owner="gpu-box:1")
    assert isinstance(refusal, Refusal) and refusal.unknown and refusal.owner == ""
    job.refresh_from_db()
    assert (job.state, job.credential_id) == ("queued", None)
    # The cpu host's own credential claims it.
    _, cpu = agent_credential_create(name="cpu-box-1", queues=["cpu"])
    assert _claim(client, cpu, job)["spec"]["job"] == job.pk
    # The operator's command names queues, and refuses a credential without them.
    with pytest.raises(CommandError, match="--queues"):
        call_command("agent_credential_create", "no-queues")
    with pytest.raises(CommandError, match="unknown: score"):
        call_command("agent_credential_create", "score-box", "--queues", "cpu,score")
    call_command("agent_credential_create", "gpu-box-2", "--queues", "gpu")
    from runs.models import AgentCredential

    assert AgentCredential.objects.get(name="gpu-box-2").queues == ["gpu"]
    assert not AgentCredential.objects.filter(name__in=["no-queues", "score-box"]).exists()

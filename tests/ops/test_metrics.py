"""/metrics in the Prometheus text format, derived from real rows and the real Redis broker."""

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from kombu import Connection, Exchange, Producer, Queue
from prometheus_client.parser import text_string_to_metric_families

from ops.metrics import queue_depths
from submissions.models import SplitRun, Status, Submission

pytestmark = [pytest.mark.django_db, pytest.mark.services]


def _scrape(client: Client) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    samples: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def _submission(people, track, status: str, **fields) -> Submission:
    return Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="other: x",
        image_id="x",
        status=status,
        **fields,
    )


def test_counts_failures_and_durations_come_from_the_rows(people, smoke_track) -> None:
    now = timezone.now()
    split = smoke_track.splits.first()
    for seconds in (3, 40, 400):
        done = _submission(
            people,
            smoke_track,
            Status.FINISHED,
            scoring_at=now - timedelta(seconds=seconds / 100),
            finished_at=now,
        )
        SplitRun.objects.create(
            submission=done, split=split, started_at=now - timedelta(seconds=seconds), ended_at=now
        )
    _submission(people, smoke_track, Status.QUEUED)
    _submission(people, smoke_track, Status.FAILED, failure_code="timeout")
    _submission(people, smoke_track, Status.FAILED, failure_code="timeout")
    _submission(people, smoke_track, Status.FAILED, failure_code="platform_error")

    samples = _scrape(Client(HTTP_HOST="10.42.0.17"))

    statuses = samples["forgerybench_submissions"]
    assert statuses[(("status", "finished"),)] == 3
    assert statuses[(("status", "queued"),)] == 1
    assert statuses[(("status", "failed"),)] == 3
    assert statuses[(("status", "running"),)] == 0
    failures = samples["forgerybench_submission_failures_total"]
    assert failures == {(("reason", "platform_error"),): 1, (("reason", "timeout"),): 2}
    runs = samples["forgerybench_run_duration_seconds_bucket"]
    assert runs[(("le", "2.0"),)] == 0
    assert runs[(("le", "5.0"),)] == 1
    assert runs[(("le", "60.0"),)] == 2
    assert runs[(("le", "600.0"),)] == 3
    assert runs[(("le", "+Inf"),)] == 3
    assert samples["forgerybench_run_duration_seconds_count"][()] == 3
    assert samples["forgerybench_run_duration_seconds_sum"][()] == pytest.approx(443)
    scores = samples["forgerybench_score_duration_seconds_bucket"]
    assert scores[(("le", "0.1"),)] == 1 and scores[(("le", "0.25"),)] == 1
    assert scores[(("le", "0.5"),)] == 2
    assert scores[(("le", "5.0"),)] == 3
    assert samples["forgerybench_broker_up"][()] == 1
    assert set(samples["forgerybench_queue_depth"]) == {
        (("queue", "cpu"),),
        (("queue", "gpu"),),
        (("queue", "score"),),
    }


def test_queue_depth_counts_waiting_messages_on_the_real_broker(settings) -> None:
    name = f"depth-probe-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, Exchange(name), routing_key=name)
    with Connection(settings.CELERY_BROKER_URL) as conn:
        bound = queue(conn.default_channel)
        bound.declare()
        try:
            assert queue_depths((name,)) == {name: 0}
            producer = Producer(conn.default_channel)
            for index in range(3):
                producer.publish({"n": index}, exchange=queue.exchange, routing_key=name)
            assert queue_depths((name,)) == {name: 3}
        finally:
            bound.purge()
            bound.delete()


@override_settings(FORGERYBENCH_METRICS_TOKEN="s3cret-token")
def test_a_configured_token_is_required() -> None:
    client = Client(HTTP_HOST="10.42.0.17")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert ok.status_code == 200 and b"forgerybench_submissions" in ok.content


@pytest.mark.parametrize("path", ["/metrics", "/metrics/"])
@override_settings(FORGERYBENCH_METRICS_TOKEN="s3cret-token")
def test_a_token_guards_metrics_with_or_without_the_slash(path: str) -> None:
    client = Client()
    assert client.get(path).status_code == 401
    assert client.get(path, HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/metrics/", "/metrics//"])
@override_settings(FORGERYBENCH_METRICS_TOKEN="", FORGERYBENCH_TRUSTED_PROXY_COUNT=1)
def test_without_a_token_metrics_answer_the_operators_network_only(path: str) -> None:
    through_nginx: dict[str, Any] = {"REMOTE_ADDR": "172.18.0.3"}
    outsider = Client().get(path, HTTP_X_FORWARDED_FOR="203.0.113.7", **through_nginx)
    assert outsider.status_code == 403
    # A client writing a private address into the header does not become one.
    spoofed = Client().get(path, HTTP_X_FORWARDED_FOR="10.0.0.5, 203.0.113.7", **through_nginx)
    assert spoofed.status_code == 403
    assert Client().get(path, REMOTE_ADDR="10.42.0.9").status_code == 200  # a Prometheus pod
    assert Client().get(path, HTTP_X_FORWARDED_FOR="10.1.2.3", **through_nginx).status_code == 200


def test_nginx_keeps_metrics_private_with_or_without_the_slash() -> None:
    import re
    from pathlib import Path

    conf = (Path(__file__).resolve().parents[2] / "deploy/nginx/forgerybench.conf").read_text()
    (private,) = re.findall(r"location ~ (\S+) \{([^}]*)\}", conf)
    pattern, body = private
    for path in ("/metrics", "/metrics/", "/metrics//"):
        assert re.fullmatch(pattern.strip("^$"), path), path
    assert not re.fullmatch(pattern.strip("^$"), "/metricsx")
    assert "deny all;" in body and "X-Forwarded-For" in body
    assert "location = /metrics" not in conf


def test_run_agents_are_counted_by_queue_and_presence_state() -> None:
    from django.conf import settings

    from runs.models import AgentPresence
    from runs.services import agent_credential_create

    credential, _ = agent_credential_create(name="metrics-agents", queues=["cpu", "gpu"])
    now = timezone.now()
    window = timedelta(seconds=settings.FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS)
    for name, queues, busy, seen in [
        ("a", ["cpu"], 0, now),
        ("b", ["cpu", "gpu"], 1, now),
        ("c", ["gpu"], 0, now - window * 2),
    ]:
        AgentPresence.objects.create(
            credential=credential,
            name=name,
            queues=queues,
            slots=1,
            busy=busy,
            first_seen_at=seen,
            last_seen_at=seen,
        )
    samples = _scrape(Client())["forgerybench_run_agents"]

    def count(queue: str, state: str) -> float:
        return samples[(("queue", queue), ("state", state))]

    assert (count("cpu", "idle"), count("cpu", "busy"), count("cpu", "stale")) == (1, 1, 0)
    assert (count("gpu", "idle"), count("gpu", "busy"), count("gpu", "stale")) == (0, 1, 1)
    assert count("gpu", "down") == 0

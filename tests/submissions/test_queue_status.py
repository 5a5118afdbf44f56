"""Queue transparency: position with fair share, ETA from recent runs, workers serving a queue,
on the submission page, the API and the public status page."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.services import team_create
from submissions.models import Status, Submission
from submissions.queue_status import queue_states, submission_queue_place

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _queued(team, track, at) -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=team,
        track=track,
        method_name="m",
        training_data="other: x",
        image_id="sha256:" + "d" * 64,
        status=Status.QUEUED,
        queued_at=at,
    )


def test_position_follows_the_fair_share_order_and_the_eta_recent_runs(people, smoke_track) -> None:
    now = timezone.now()
    burst = [_queued(people.team, smoke_track, now - timedelta(minutes=10 - i)) for i in range(3)]
    rivals = team_create(name="Rivals")
    late = _queued(rivals, smoke_track, now - timedelta(minutes=1))
    # The rivals' only run goes in at level 0, ahead of the owl team's 2nd and 3rd.
    place = submission_queue_place(submission=late, now=now)
    assert place is not None
    assert (place.position, place.ahead, place.level) == (2, 1, 0)
    third = submission_queue_place(submission=burst[2], now=now)
    assert third is not None and (third.position, third.level) == (4, 2)
    # No worker answered and none is running: no ETA, and the page says why.
    assert place.workers == 0 and place.eta_start is None
    client = Client()
    client.force_login(people.owner)
    page = client.get(f"/submissions/{burst[0].pk}/").content.decode()
    assert 'id="queue-position">1<' in page
    assert "No worker is serving this queue right now" in page

    # A run that took 60 s, and a live runner on the queue: an ETA from them.
    Submission.objects.create(
        team=rivals,
        track=smoke_track,
        method_name="done",
        training_data="other: x",
        image_id="sha256:" + "e" * 64,
        status=Status.FINISHED,
        queued_at=now - timedelta(minutes=30),
        running_at=now - timedelta(minutes=20),
        scoring_at=now - timedelta(minutes=19),
    )
    running = _queued(rivals, smoke_track, now - timedelta(minutes=40))
    Submission.objects.filter(pk=running.pk).update(
        status=Status.RUNNING, run_owner="node-1:42", heartbeat_at=now, running_at=now
    )
    place = submission_queue_place(submission=late, now=now)
    assert place is not None and place.workers == 1 and place.median_run_seconds == 60
    assert place.eta_start == now + timedelta(seconds=2 * 60)  # the running one, then 1 ahead
    assert place.eta_finish == place.eta_start + timedelta(seconds=60)

    api = client.get(f"/api/v1/submissions/{burst[0].pk}/").json()
    assert api["queue"]["position"] == 1 and api["queue"]["queue"] == "cpu"
    assert client.get(f"/api/v1/submissions/{running.pk}/").status_code in (200, 404)
    # Another team's queue place (level, backlog) is not for outsiders, logged in or not.
    rival = Client()
    rival.force_login(people.outsider)
    for viewer in (Client(), rival):
        assert viewer.get(f"/api/v1/submissions/{burst[2].pk}/").json()["queue"] is None
        page = viewer.get(f"/submissions/{burst[2].pk}/").content.decode()
        assert "queue-position" not in page and "fair-share level" not in page

    states = {s.queue: s for s in queue_states(now=now)}
    assert states["cpu"].waiting == 4 and states["cpu"].running == 1
    assert [w.name for w in states["cpu"].workers] == ["node-1:42"]
    assert states["gpu"].health == "idle, no worker seen"
    status = Client().get("/status/").content.decode()  # public: counts, no host names
    assert 'id="queue-cpu"' in status and "1 running" in status and "node-1" not in status
    organizer = Client()
    organizer.force_login(people.organizer)
    assert "node-1:42 (running)" in organizer.get("/status/").content.decode()
    assert "1500 s" in status  # median wait of the two started runs: 600 s and 2400 s


def test_run_agents_show_by_their_presence_idle_or_not(people, smoke_track) -> None:
    from runs.models import AgentPresence
    from runs.services import agent_credential_create

    now = timezone.now()
    gpu_box, _ = agent_credential_create(name="gpu-box", queues=["cpu", "gpu"])
    local, _ = agent_credential_create(name="local", queues=["cpu", "gpu"])
    window = timedelta(seconds=settings.FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS)

    def presence(credential, name, queues, slots, busy, seen) -> None:  # type: ignore[no-untyped-def]
        AgentPresence.objects.create(
            credential=credential,
            name=name,
            queues=queues,
            slots=slots,
            busy=busy,
            first_seen_at=seen,
            last_seen_at=seen,
        )

    presence(local, "local", ["cpu", "gpu"], 2, 0, now)  # idle: still serving
    presence(gpu_box, "gpu-box", ["gpu"], 4, 1, now)
    presence(gpu_box, "old-box", ["cpu"], 1, 0, now - window * 2)  # missed its beats
    late = _queued(people.team, smoke_track, now - timedelta(minutes=1))
    Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="done",
        training_data="other: x",
        image_id="sha256:" + "e" * 64,
        status=Status.FINISHED,
        running_at=now - timedelta(minutes=20),
        scoring_at=now - timedelta(minutes=19),
    )
    states = {s.queue: s for s in queue_states(now=now)}
    assert [(w.name, w.state) for w in states["cpu"].workers] == [
        ("local", "idle"),
        ("old-box (gpu-box)", "stale"),
    ]
    assert states["cpu"].health == "serving" and states["cpu"].state_counts == {
        "idle": 1,
        "stale": 1,
    }
    assert {w.state for w in states["gpu"].workers} == {"idle", "busy"}
    # The queue place counts the live agent, and its two slots for the ETA.
    place = submission_queue_place(submission=late, now=now)
    assert place is not None and place.workers == 1
    assert place.worker_states == {"idle": 1, "stale": 1}
    assert place.eta_start == now  # two slots, nothing running, first in line
    client = Client()
    client.force_login(people.owner)
    api = client.get(f"/api/v1/submissions/{late.pk}/").json()
    assert api["queue"]["worker_states"] == {"idle": 1, "stale": 1}
    page = client.get(f"/submissions/{late.pk}/").content.decode()
    assert "Workers on this queue: 1 idle, 1 stale." in page
    # Public: counts by state, no names; organizers: names, load and age.
    status = Client().get("/status/").content.decode()
    assert "1 idle" in status and "1 stale" in status and "1 busy" in status
    assert "gpu-box" not in status and "local" not in status
    organizer = Client()
    organizer.force_login(people.organizer)
    page = organizer.get("/status/").content.decode()
    assert "local (idle, 0/2 busy, seen" in page and "gpu-box (busy, 1/4 busy" in page
    # Gone quiet for good: the queue has no worker.
    AgentPresence.objects.update(last_seen_at=now - window * 11)
    states = {s.queue: s for s in queue_states(now=now)}
    assert states["cpu"].health == "no worker" and states["cpu"].state_counts == {"down": 2}

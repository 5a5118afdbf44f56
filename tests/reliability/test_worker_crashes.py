"""Workers killed mid-run, the same message twice at once, Redis restarted, the database cut.

Real redis-server, PostgreSQL, Docker and `celery worker` processes. Figures in
docs/operations.md come from these tests (FORGERYBENCH_KILLS sets how many kills).
"""

import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import docker
import docker.errors
import pytest
from django.conf import settings
from django.utils import timezone

from submissions.models import Result, SplitRun, Status, Submission
from submissions.services import submission_create_from_image

from .conftest import DbProxy, client_broker, database_url, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.e2e]

KILLS = int(os.environ.get("FORGERYBENCH_KILLS", "2"))


def _submit(rig, image: str) -> Submission:
    return submission_create_from_image(
        team=rig.people.team,
        track=rig.track,
        user=rig.people.owner,
        image_reference=image,
        method_name="steady",
        training_data="other: none",
    )


def _done(pk: int, timeout: float = 120) -> Submission:
    wait_for(lambda: Submission.objects.get(pk=pk).is_done, timeout, f"submission {pk} to end")
    return Submission.objects.get(pk=pk)


def _labels(pk: int) -> list[str]:
    # Other test runs share the engine and the same submission ids: filter by instance too.
    return [
        f"org.forgerybench.submission={pk}",
        f"org.forgerybench.instance={settings.FORGERYBENCH_INSTANCE}",
    ]


def _containers(client: docker.DockerClient, pk: int) -> list:
    # sparse: no per-container inspect, which races with the runner removing it
    return client.containers.list(all=True, sparse=True, filters={"label": _labels(pk)})


def _starts(client: docker.DockerClient, pk: int, since: datetime) -> int:
    events = client.events(
        since=since,
        until=datetime.now(UTC),
        filters={"label": _labels(pk), "event": "start"},
        decode=True,
    )
    return sum(1 for _ in events)


def test_worker_sigkilled_mid_run_redelivers_removes_orphan_and_finishes_once(
    rig, test_image, docker_client
) -> None:
    image = test_image("reliability-slow")
    worker = rig.workers.start(
        broker_url=rig.redis.url, database_url=rig.database_url, name="crashy"
    )
    since = datetime.now(UTC)
    with client_broker(rig.redis.url):
        submission = _submit(rig, image)
    killed_owners, orphans = [], []
    for _ in range(KILLS):
        # Wait for a new owner's container to run, then SIGKILL the process running it.
        def running() -> tuple[str, str] | None:
            row = Submission.objects.get(pk=submission.pk)
            found = [
                c.id
                for c in _containers(docker_client, submission.pk)
                if c.status == "running" and c.id not in orphans
            ]
            if row.status == Status.RUNNING and row.run_owner not in killed_owners and found:
                return row.run_owner, found[0]
            return None

        found = wait_for(running, 60, "the run to start")
        assert isinstance(found, tuple)
        owner, container_id = found
        os.kill(int(owner.rpartition(":")[2]), signal.SIGKILL)
        killed_owners.append(owner)
        orphans.append(container_id)

    finished = _done(submission.pk)
    assert finished.status == Status.FINISHED, (finished.failure_code, finished.failure_reason)
    assert Result.objects.filter(submission=submission).count() == 1
    assert SplitRun.objects.filter(submission=submission).count() == 1
    assert finished.run_owner not in killed_owners
    for orphan in orphans:
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(orphan)
    assert _containers(docker_client, submission.pk) == []
    assert _starts(docker_client, submission.pk, since) == KILLS + 1
    log = worker.text()
    assert log.count("took the run over") == KILLS, log[-3000:]
    assert "WorkerLostError" in log or "SIGKILL" in log


def test_the_same_run_delivered_twice_at_once_runs_once(rig, test_image, docker_client) -> None:
    from forgerybench_site.celery import app
    from runs.models import RunJob

    image = test_image("reliability-slow")
    since = datetime.now(UTC)
    with client_broker(rig.redis.url):
        submission = _submit(rig, image)  # the first message, sent on commit
        job = RunJob.objects.get(submission=submission)
        app.send_task("runagent.run", (job.pk,), queue="cpu")  # the duplicate
    assert rig.redis.queue_length("cpu") == 2
    # Two worker processes take one message each, at the same moment.
    worker = rig.workers.start(
        broker_url=rig.redis.url, database_url=rig.database_url, name="twins", concurrency=2
    )
    finished = _done(submission.pk)
    assert finished.status == Status.FINISHED, (finished.failure_code, finished.failure_reason)
    assert _starts(docker_client, submission.pk, since) == 1, "one container run"
    assert Result.objects.filter(submission=submission).count() == 1
    assert SplitRun.objects.filter(submission=submission).count() == 1
    assert "a live worker runs it" in worker.text()


def test_redis_restart_loses_queued_messages_and_the_sweeper_recovers_them(
    rig, baseline_image
) -> None:
    image = baseline_image("sanity")
    with client_broker(rig.redis.url):
        submissions = [_submit(rig, image) for _ in range(3)]
    assert rig.redis.queue_length("cpu") == 3
    rig.redis.restart()  # no persistence: every queued message is gone
    assert rig.redis.queue_length("cpu") == 0
    assert all(s.status == Status.QUEUED for s in Submission.objects.all())
    # A worker with the beat: the sweeper resends runs queued past their (short) deadline.
    worker = rig.workers.start(
        broker_url=rig.redis.url,
        database_url=rig.database_url,
        name="sweepy",
        beat=True,
        env={
            "FORGERYBENCH_SWEEP_INTERVAL_SECONDS": "2",
            "FORGERYBENCH_REQUEUE_QUEUED_SECONDS": "3",
        },
    )
    for submission in submissions:
        finished = _done(submission.pk, timeout=180)
        assert finished.status == Status.FINISHED, finished.failure_reason
    assert Result.objects.filter(submission__in=submissions).count() == 3
    assert "sweeper: resent" in worker.text()


def test_database_cut_during_scoring_is_retried_then_finishes(rig, baseline_image) -> None:
    from tests.agents import submission_run_here

    proxy = DbProxy(
        rig.settings_dict["HOST"] or "127.0.0.1", int(rig.settings_dict["PORT"] or 5432)
    )
    try:
        with client_broker(rig.redis.url):
            submission = _submit(rig, baseline_image("sanity"))
            # The run step here, in this process: its on-commit score message waits in Redis.
            submission_run_here(submission_id=submission.pk)
        assert Submission.objects.get(pk=submission.pk).status == Status.SCORING
        proxy.cut()
        worker = rig.workers.start(
            broker_url=rig.redis.url,
            database_url=database_url(rig.settings_dict, port=proxy.port),
            name="flaky-db",
        )
        wait_for(lambda: "database unreachable" in worker.text(), 30, "a failed scoring attempt")
        threading.Timer(3, proxy.restore).start()
        finished = _done(submission.pk, timeout=90)
    finally:
        proxy.close()
    assert finished.status == Status.FINISHED, (finished.failure_code, finished.failure_reason)
    assert Result.objects.filter(submission=submission).count() == 1
    log = worker.text()
    assert "scoring submission" in log and "retry" in log.lower(), log[-3000:]


def test_the_platform_restarted_mid_run_loses_nothing_and_scores_once(
    rig, test_image, docker_client
) -> None:
    """The web server (the agent API) is killed while the container runs and comes back on
    the same address later: the agent's calls wait and retry, the outcome arrives once."""
    import signal as signals

    image = test_image("reliability-slow")
    worker = rig.workers.start(
        broker_url=rig.redis.url, database_url=rig.database_url, name="restart"
    )
    with client_broker(rig.redis.url):
        submission = _submit(rig, image)
    wait_for(
        lambda: (
            _containers(docker_client, submission.pk)
            and Submission.objects.get(pk=submission.pk).status == Status.RUNNING
        ),
        60,
        "the run to start",
    )
    os.killpg(worker.web.process.pid, signals.SIGKILL)
    worker.web.process.wait(timeout=10)
    # Down for longer than a heartbeat or two, and past the container's end.
    wait_for(lambda: not _containers(docker_client, submission.pk), 120, "the container to end")
    back = rig.workers.stack.web(name="restart-again", port=worker.web.port, **worker.web.restart)
    finished = _done(submission.pk)
    assert finished.status == Status.FINISHED, (finished.failure_code, finished.failure_reason)
    assert Result.objects.filter(submission=submission).count() == 1
    assert SplitRun.objects.filter(submission=submission).count() == 1
    log = worker.agent.log.read_text()
    assert "ConnectionError" in log and "retrying" in log, log[-3000:]
    assert back.process.poll() is None


def _mounts_under(folder: Path) -> list[str]:
    root = str(folder.resolve()) + "/"
    lines = Path("/proc/mounts").read_text().splitlines()
    return [line.split()[1] for line in lines if line.split()[1].startswith(root)]


def test_agent_sigkilled_whole_is_cleaned_up_at_restart_and_finishes_once(
    rig, test_image, docker_client
) -> None:
    """The whole agent (its process group) is SIGKILLed mid-run: its container runs on and
    its capped /output stays mounted. Started again under the same name, it removes both
    within seconds, gives the job it held back to its queue at once, and the run ends once.
    Its presence shows it idle, busy, then down after a clean stop."""
    from runs.models import AgentPresence
    from runs.selectors import agents_seen

    image = test_image("reliability-slow")
    # The platform sets the presence pace in its answer: 1 s here.
    worker = rig.workers.start(
        broker_url=rig.redis.url,
        database_url=rig.database_url,
        name="whole",
        env={"FORGERYBENCH_AGENT_PRESENCE_SECONDS": "1"},
    )

    def state() -> str:
        found = [a for a in agents_seen(now=timezone.now()) if a.name == worker.name]
        return found[0].state if found else ""

    wait_for(lambda: state() == "idle", 20, "the idle agent's presence")
    since = datetime.now(UTC)
    with client_broker(rig.redis.url):
        submission = _submit(rig, image)
    wait_for(
        lambda: [c for c in _containers(docker_client, submission.pk) if c.status == "running"],
        60,
        "the container to run",
    )
    wait_for(lambda: state() == "busy", 10, "the busy agent's presence")
    (container,) = _containers(docker_client, submission.pk)
    runs_dir = Path(settings.DATA_DIR) / f"agent-{worker.name}" / "runs"
    assert _mounts_under(runs_dir), "the run's capped /output is mounted"
    os.killpg(worker.process.pid, signal.SIGKILL)
    worker.process.wait(timeout=10)
    time.sleep(1)
    container.reload()
    assert container.status == "running", "no agent: nothing stops it"
    assert _mounts_under(runs_dir)
    assert Submission.objects.get(pk=submission.pk).status == Status.RUNNING

    restarted = time.monotonic()
    again = worker.agent_again("whole-again")
    wait_for(
        lambda: container.id not in [c.id for c in _containers(docker_client, submission.pk)],
        10,
        "the killed agent's container to go",
    )
    assert time.monotonic() - restarted < 70  # the agent's start included
    assert not _mounts_under(runs_dir) or all(
        # the new run's own mount, once the job is running again
        "job-" in mount
        for mount in _mounts_under(runs_dir)
    )
    log = again.text()
    assert "removed 1 container(s) a killed agent process left" in log, log[-3000:]
    assert "detached" in log and "queued again" in log, log[-3000:]
    finished = _done(submission.pk)
    assert finished.status == Status.FINISHED, (finished.failure_code, finished.failure_reason)
    assert Result.objects.filter(submission=submission).count() == 1
    assert SplitRun.objects.filter(submission=submission).count() == 1
    assert _starts(docker_client, submission.pk, since) == 2
    assert _containers(docker_client, submission.pk) == []
    wait_for(lambda: not _mounts_under(runs_dir), 10, "the runs folder to be clean")
    assert list(runs_dir.iterdir()) == []
    # A clean stop says goodbye: down at once.
    rig.workers.stack.stop(again.process)
    assert state() == "down"
    assert AgentPresence.objects.get(name=worker.name).stopped

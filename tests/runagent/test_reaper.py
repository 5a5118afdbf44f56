"""The agent's reaper and start cleanup against the real Docker engine: an overdue run
container is removed with its volumes, whatever happened to its agent or job; others are left.
At start, an agent removes every container of its own name."""

import contextlib
import secrets
import time
from pathlib import Path

import docker
import docker.errors
import docker.types
import pytest

from runagent.config import AgentConfig
from runagent.job import AGENT_LABEL, DEADLINE_LABEL, deadline_label, remove_own_orphans
from runagent.reaper import reap_overdue

pytestmark = pytest.mark.docker


def _config(tmp_path: Path, name: str) -> AgentConfig:
    return AgentConfig(
        platform_url="http://127.0.0.1:9",
        token="fba_unused",
        broker_url="memory://",
        broker_dir=None,
        work_dir=tmp_path,
        queues=("cpu",),
        name=name,
        gpu_devices=(),
        gpu_lock_dir=tmp_path / "gpus",
        allow_uncapped_output=True,
    )


def test_overdue_run_containers_are_reaped_and_an_agents_start_removes_its_own(
    docker_client: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    name = "reap-" + secrets.token_hex(4)
    now = time.time()
    started = []

    def start(agent: str | None, deadline: str | None) -> docker.models.containers.Container:
        labels = {}
        if agent is not None:
            labels[AGENT_LABEL] = agent
        if deadline is not None:
            labels[DEADLINE_LABEL] = deadline
        container = docker_client.containers.run(
            base_image,
            ["sleep", "120"],
            detach=True,
            labels=labels,
            # an anonymous volume: removed with the container
            mounts=[docker.types.Mount(target="/scratch", source=None, type="volume")],
            network_disabled=True,
        )
        started.append(container)
        return container

    def gone(container: docker.models.containers.Container) -> bool:
        # Other agents' reapers share the engine: one may be removing it at the same moment
        # (the engine then answers "removal already in progress"); give that a few seconds.
        deadline = time.monotonic() + 10
        while True:
            try:
                docker_client.containers.get(container.id)
            except docker.errors.NotFound:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    try:
        overdue = start(name, deadline_label(1, now=now - 400))  # 1 s limit + grace, long ago
        volume = overdue.attrs["Mounts"][0]["Name"]
        # Another agent's, never coming back under its name: overdue is overdue.
        orphaned = start(name + "-gone", deadline_label(1, now=now - 400))
        on_time = start(name, deadline_label(1, now=now - 298))  # due in about 3 s
        unlabelled = start(name, None)  # no deadline: never guessed at
        forged = start(name, "soon")
        stranger = start(None, deadline_label(1, now=now - 400))  # not an agent's run
        removed = reap_overdue(docker_client, now=now)
        # (Another agent's reaper on this engine may have got there first.)
        assert set(removed) <= {overdue.id, orphaned.id}
        assert gone(overdue) and gone(orphaned)
        volume_gone = False
        for _ in range(50):
            try:
                docker_client.volumes.get(volume)
            except docker.errors.NotFound:
                volume_gone = True
                break
            time.sleep(0.2)
        assert volume_gone, "the container's anonymous volume went with it"
        for kept in (on_time, unlabelled, forged, stranger):
            kept.reload()
            assert kept.status == "running"
        # Once past its deadline, the on-time one goes too (the engine is shared: reaping is
        # only ever asked for at the real time).
        time.sleep(max(0.0, now + 4 - time.time()))
        reap_overdue(docker_client)
        assert gone(on_time)
        # At start every container of the agent's name is a leftover: all of them go.
        gone_at_start = remove_own_orphans(docker_client, _config(tmp_path, name))
        assert sorted(gone_at_start) == sorted([unlabelled.id, forged.id])
        stranger.reload()
        assert stranger.status == "running"
    finally:
        for container in started:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)

"""The agent's reaper and start cleanup against the real Docker engine: an overdue container
of this agent is removed with its volumes, whatever happened to its job; others are left."""

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


def test_only_this_agents_overdue_containers_are_reaped(
    docker_client: docker.DockerClient, base_image: str, tmp_path: Path
) -> None:
    name = "reap-" + secrets.token_hex(4)
    now = time.time()
    started = []

    def start(agent: str, deadline: str | None) -> docker.models.containers.Container:
        labels = {AGENT_LABEL: agent}
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

    try:
        overdue = start(name, deadline_label(1, now=now - 400))  # 1 s limit + grace, long ago
        volume = overdue.attrs["Mounts"][0]["Name"]
        on_time = start(name, deadline_label(60, now=now))
        unlabelled = start(name, None)  # not this code's: never guessed at
        forged = start(name, "soon")
        another = start(name + "-other", deadline_label(1, now=now - 400))
        removed = reap_overdue(docker_client, _config(tmp_path, name), now=now)
        assert removed == [overdue.id]
        with pytest.raises(docker.errors.NotFound):
            docker_client.containers.get(overdue.id)
        with pytest.raises(docker.errors.NotFound):
            docker_client.volumes.get(volume)
        for kept in (on_time, unlabelled, forged, another):
            kept.reload()
            assert kept.status == "running"
        # Later, past its deadline, the on-time one goes too.
        later = now + 60 + 301
        assert reap_overdue(docker_client, _config(tmp_path, name), now=later) == [on_time.id]
        # At start every container of the agent's name is a leftover: all of them go.
        gone = remove_own_orphans(docker_client, _config(tmp_path, name))
        assert sorted(gone) == sorted([unlabelled.id, forged.id])
        another.reload()
        assert another.status == "running"
    finally:
        for container in started:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)

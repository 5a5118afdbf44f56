"""The runner against a real engine: hardening flags on a live container, named outcomes."""

import json
import os
import threading
import time
from pathlib import Path

import docker
import pytest

from evaluator.runner import RunLimits, build_run_kwargs, run_submission_container

pytestmark = pytest.mark.docker

# Concurrent test runs on one engine must not touch each other's containers.
RUN_PREFIX = os.environ.get("FORGERYBENCH_INSTANCE", "local")


def _inputs(tmp_path: Path, ids: list[str]) -> Path:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "task.json").write_text(json.dumps({"protocol": 1, "task": "detection"}))
    (inputs / "manifest.jsonl").write_text(
        "".join(json.dumps({"id": i, "path": f"images/{i}.png"}) + "\n" for i in ids)
    )
    return inputs


def test_gpu_tracks_request_one_gpu_and_cpu_tracks_none(tmp_path: Path) -> None:
    def kwargs(gpu: bool) -> dict:
        limits = RunLimits(timeout_seconds=1, memory_mb=64, cpus=1, gpu=gpu)
        return build_run_kwargs(
            image_id="x", inputs_dir=tmp_path, output_dir=tmp_path, limits=limits, docker_labels={}
        )

    cpu, gpu = kwargs(False), kwargs(True)
    assert "device_requests" not in cpu
    assert [dict(r) for r in gpu["device_requests"]] == [
        {"Driver": "", "Count": 1, "DeviceIDs": [], "Capabilities": [["gpu"]], "Options": {}}
    ]


def test_live_container_carries_every_hardening_flag(
    docker_client: docker.DockerClient, test_image, tmp_path: Path
) -> None:
    image = test_image("sleeper")
    inputs = _inputs(tmp_path, ["a", "b"])
    labels_dir = tmp_path / "labels"
    labels_dir.mkdir()
    limits = RunLimits(timeout_seconds=120, memory_mb=256, cpus=0.5, pids_limit=32)
    outcome = {}

    def run() -> None:
        outcome["value"] = run_submission_container(
            docker_client,
            image_id=image,
            inputs_dir=inputs,
            run_dir=tmp_path / "run",
            artifacts_dir=tmp_path / "artifacts",
            limits=limits,
            run_key=f"{RUN_PREFIX}-hardening-test",
        )

    thread = threading.Thread(target=run)
    thread.start()
    try:
        container = None
        for _ in range(100):
            found = docker_client.containers.list(
                filters={"label": f"org.forgerybench.run={RUN_PREFIX}-hardening-test"}
            )
            if found:
                container = found[0]
                break
            time.sleep(0.2)
        assert container is not None, "the run's container never appeared"
        host = container.attrs["HostConfig"]
        assert host["NetworkMode"] == "none"
        assert host["ReadonlyRootfs"] is True
        assert host["CapDrop"] == ["ALL"]
        assert host["SecurityOpt"] == ["no-new-privileges"]
        assert host["PidsLimit"] == 32
        assert host["Memory"] == 256 * 1024 * 1024
        assert host["MemorySwap"] == 256 * 1024 * 1024
        assert host["NanoCpus"] == 500_000_000
        assert host["Privileged"] is False
        assert "/tmp" in host["Tmpfs"]
        user = container.attrs["Config"]["User"]
        assert user and not user.startswith(("0", "root"))
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert set(mounts) == {"/input", "/output"}
        assert mounts["/input"]["RW"] is False
        assert Path(mounts["/input"]["Source"]) == inputs
        assert all(not m["Source"].startswith(str(labels_dir)) for m in mounts.values())
        env = container.attrs["Config"]["Env"]
        assert not [e for e in env if e.startswith(("DATABASE", "SECRET", "CELERY", "DOCKER"))]
        # Inside: only the loopback interface exists.
        interfaces = container.exec_run(
            ["python3", "-c", "import os; print(os.listdir('/sys/class/net'))"]
        )
        assert interfaces.output.decode().strip() == "['lo']"
        container.kill()
    finally:
        thread.join(timeout=60)
    assert outcome["value"].outcome == "nonzero_exit"
    assert (
        docker_client.containers.list(
            all=True, filters={"label": f"org.forgerybench.run={RUN_PREFIX}-hardening-test"}
        )
        == []
    )


def test_timeout_kills_and_removes_the_container(
    docker_client: docker.DockerClient, test_image, tmp_path: Path
) -> None:
    result = run_submission_container(
        docker_client,
        image_id=test_image("sleeper"),
        inputs_dir=_inputs(tmp_path, ["a"]),
        run_dir=tmp_path / "run",
        artifacts_dir=tmp_path / "artifacts",
        limits=RunLimits(timeout_seconds=2, memory_mb=128, cpus=1),
        run_key=f"{RUN_PREFIX}-timeout-test",
    )
    assert result.outcome == "timeout"
    assert result.message == "timed out after 2 s"
    assert (
        docker_client.containers.list(
            all=True, filters={"label": f"org.forgerybench.run={RUN_PREFIX}-timeout-test"}
        )
        == []
    )


def test_nonzero_exit_keeps_the_log_tail(
    docker_client: docker.DockerClient, test_image, tmp_path: Path
) -> None:
    result = run_submission_container(
        docker_client,
        image_id=test_image("crasher"),
        inputs_dir=_inputs(tmp_path, ["a"]),
        run_dir=tmp_path / "run",
        artifacts_dir=tmp_path / "artifacts",
        limits=RunLimits(timeout_seconds=60, memory_mb=128, cpus=1),
        run_key=f"{RUN_PREFIX}-crash-test",
    )
    assert (result.outcome, result.exit_code) == ("nonzero_exit", 3)
    assert "FileNotFoundError: /opt/model/weights.pt" in result.log_tail


def test_missing_image_is_named(docker_client: docker.DockerClient, tmp_path: Path) -> None:
    result = run_submission_container(
        docker_client,
        image_id="sha256:" + "0" * 64,
        inputs_dir=_inputs(tmp_path, ["a"]),
        run_dir=tmp_path / "run",
        artifacts_dir=tmp_path / "artifacts",
        limits=RunLimits(timeout_seconds=60, memory_mb=128, cpus=1),
        run_key=f"{RUN_PREFIX}-missing-test",
    )
    assert result.outcome == "image_missing"

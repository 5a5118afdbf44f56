"""One GPU per container: device requests, and exclusive claims across worker processes."""

import contextlib
import itertools
import multiprocessing
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from evaluator.gpu_slots import GpuUnavailable, gpu_slot, parse_devices
from evaluator.runner import RunLimits, build_run_kwargs, run_submission_container

RUN_PREFIX = os.environ.get("FORGERYBENCH_INSTANCE", "local")


def test_a_pinned_run_requests_exactly_its_device(tmp_path: Path) -> None:
    limits = RunLimits(timeout_seconds=1, memory_mb=64, cpus=1, gpu=True, gpu_device_ids=("2",))
    kwargs = build_run_kwargs(
        image_id="x", inputs_dir=tmp_path, output_dir=tmp_path, limits=limits, docker_labels={}
    )
    assert [dict(r) for r in kwargs["device_requests"]] == [
        {"Driver": "", "Count": 0, "DeviceIDs": ["2"], "Capabilities": [["gpu"]], "Options": {}}
    ]


def test_device_settings_are_parsed_strictly() -> None:
    assert parse_devices(["0", " 1 ", ""]) == ("0", "1")
    assert parse_devices(["GPU-6a1f", "GPU-77b0"]) == ("GPU-6a1f", "GPU-77b0")
    assert parse_devices(["all"]) == () and parse_devices(["void"]) == ()
    with pytest.raises(ValueError, match="repeat"):
        parse_devices(["0", "0"])


def _hold(
    devices: list[str],
    lock_dir: str,
    seconds: float,
    log: "multiprocessing.Queue",
    held: "multiprocessing.Queue | None" = None,
) -> None:
    with gpu_slot(devices, Path(lock_dir), wait_seconds=30, poll=0.02) as device:
        start = time.monotonic()
        if held is not None:
            held.put(device)
        time.sleep(seconds)
        log.put((device, start, time.monotonic()))


# Worker processes are spawned, never forked: a fork of this many-threaded test process can
# deadlock in the child, and a child that never ends holds the interpreter at exit.
CTX = multiprocessing.get_context("spawn")


@contextlib.contextmanager
def _processes(targets: list[tuple]) -> Iterator[list]:
    processes = [CTX.Process(target=_hold, args=args, daemon=True) for args in targets]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
            process.join(10)


def test_concurrent_runs_never_share_a_gpu_and_use_every_gpu(tmp_path: Path) -> None:
    log = CTX.Queue()
    devices = ["0", "1"]
    with _processes([(devices, str(tmp_path), 0.4, log)] * 6) as workers:
        for worker in workers:
            worker.join(60)
            assert worker.exitcode == 0
        spans = [log.get(timeout=5) for _ in workers]
    assert {device for device, _, _ in spans} == {"0", "1"}
    for device in devices:
        own = sorted((s, e) for d, s, e in spans if d == device)
        assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(own)), own
    # Six 0.4 s runs on two GPUs: three rounds, not six (timed from the first hold, so that
    # process start-up does not count). Monotonic time is one clock across processes here.
    elapsed = max(e for _, _, e in spans) - min(s for _, s, _ in spans)
    assert elapsed < 6 * 0.4


def test_a_killed_holder_frees_its_gpu(tmp_path: Path) -> None:
    held = CTX.Queue()
    with _processes([(["0"], str(tmp_path), 60, CTX.Queue(), held)]) as (holder,):
        assert held.get(timeout=60) == "0"
        with (
            pytest.raises(GpuUnavailable, match="stayed busy"),
            gpu_slot(["0"], tmp_path, wait_seconds=0.3, poll=0.05),
        ):
            pass
        os.kill(holder.pid or 0, signal.SIGKILL)
        holder.join(10)
    with gpu_slot(["0"], tmp_path, wait_seconds=2) as device:
        assert device == "0"


@pytest.mark.docker
def test_the_engine_receives_the_pinned_request(
    docker_client: docker.DockerClient, test_image, tmp_path: Path
) -> None:
    """Without a GPU the engine refuses the request by name; with one the run completes."""
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    limits = RunLimits(
        timeout_seconds=60,
        memory_mb=128,
        cpus=0.5,
        gpu=True,
        gpu_device_ids=("0",),
        allow_uncapped_output=True,
    )
    outcome = run_submission_container(
        docker_client,
        image_id=test_image("crasher"),
        inputs_dir=inputs,
        run_dir=tmp_path / "run",
        artifacts_dir=tmp_path / "artifacts",
        limits=limits,
        run_key=f"{RUN_PREFIX}-gpu-request",
    )
    assert outcome.runtime_flags["device_requests"] == [
        {"Driver": "", "Count": 0, "DeviceIDs": ["0"], "Capabilities": [["gpu"]], "Options": {}}
    ]
    gpu_runtime = "nvidia" in (docker_client.info().get("Runtimes") or {})
    if not gpu_runtime:
        assert outcome.outcome == "start_failed"
        assert "gpu" in outcome.message.lower() or "device" in outcome.message.lower()
    # A refused start leaves no created container behind.
    leftover = docker_client.containers.list(
        all=True, filters={"name": f"forgerybench-run-{RUN_PREFIX}-gpu-request"}
    )
    assert leftover == []

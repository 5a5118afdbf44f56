"""Run one untrusted submission container on one split's inputs.

The runner knows images, folders and limits, nothing else: it never receives a labels path
or database settings, so the zone that executes strangers' code holds no secrets. It applies
the hardening of protocol.md §2 and reports a named outcome for every way a run can end.
"""

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests.exceptions
from docker.models.containers import Container
from docker.types import DeviceRequest

from .capped_output import OutputCapUnavailable, capped_output, collect_output, uncapped_output
from .outbundle import FATAL_CODES, BundleLimits, PackReport
from .splitformat import PROTOCOL_VERSION

logger = logging.getLogger(__name__)

LABEL_PREFIX = "org.forgerybench"

# (the mounted /output, the artifacts folder, a bundle path, the limits) -> what was refused.
Collect = Callable[[Path, Path, Path, BundleLimits], PackReport]


@dataclass(frozen=True)
class RunLimits:
    timeout_seconds: int
    memory_mb: int
    cpus: float
    pids_limit: int = 256
    output_cap_mb: int = 1024
    tmpfs_mb: int = 256
    user: str = "65534:65534"
    gpu: bool = False
    # The GPUs this run's container may see (engine device ids or UUIDs). Empty: the engine
    # picks one. A worker that owns several GPUs pins each container to its own one.
    gpu_device_ids: tuple[str, ...] = ()
    log_tail_bytes: int = 64 * 1024
    allow_uncapped_output: bool = False
    # Files and folders /output may hold; past it the output is refused (the team's failure).
    output_max_entries: int = 20_000

    def bundle_limits(self) -> BundleLimits:
        return BundleLimits(
            max_total_bytes=self.output_cap_mb * 1024 * 1024,
            max_entries=self.output_max_entries,
        )


@dataclass
class RunOutcome:
    """How a run ended. `outcome` is one of OUTCOMES; `message` is written by the platform
    (never by the container) and may be shown to the team.

    What the platform measured, whatever the container printed: `exit_code`, the wall time
    (`ended_at - started_at`), `peak_memory_bytes` (the cgroup's high-water mark, sampled while
    the container lives; None where the cgroup is not readable or the run ended before the
    first look) and `output_bytes` (the bytes of the files read out of /output).
    `log_tail` is the container's own stdout/stderr: data the container chose."""

    outcome: str
    message: str
    exit_code: int | None = None
    container_id: str = ""
    started_at: datetime | None = None
    ended_at: datetime | None = None
    log_tail: str = ""
    runtime_flags: dict[str, Any] = field(default_factory=dict)
    skipped_outputs: list[str] = field(default_factory=list)
    peak_memory_bytes: int | None = None
    output_bytes: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome == "completed"

    @property
    def wall_seconds(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()


OUTCOMES = (
    "completed",
    "nonzero_exit",
    "timeout",
    "oom",
    "pids_limit",
    "cancelled",
    "start_failed",
    "image_missing",
    *FATAL_CODES,  # /output refused whole (evaluator.outbundle)
    "bad_output_file",  # /output held a link, device, FIFO, socket or a bad name
)

# How many refused /output entries a failure message names (the rest are counted).
NAMED_REFUSALS = 20

# How often a running container is looked at (exit, process limit, cancel request).
POLL_SECONDS = 0.5
# A container at its process limit for this many looks in a row is a fork bomb: stop it now
# rather than let it burn its whole time limit.
PIDS_SATURATED_POLLS = 2


def container_name(run_key: str) -> str:
    return f"forgerybench-run-{run_key}"


def build_run_kwargs(
    *,
    image_id: str,
    inputs_dir: Path,
    output_dir: Path,
    limits: RunLimits,
    docker_labels: dict[str, str],
) -> dict[str, Any]:
    """The docker SDK arguments for one run: every hardening flag in one place."""
    kwargs: dict[str, Any] = {
        "image": image_id,
        "detach": True,
        "network_mode": "none",
        "read_only": True,
        "user": limits.user,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges"],
        "pids_limit": limits.pids_limit,
        "mem_limit": f"{limits.memory_mb}m",
        # Same as the memory limit: no swap, so a memory bomb is OOM-killed, not slowed.
        "memswap_limit": f"{limits.memory_mb}m",
        "nano_cpus": int(limits.cpus * 1_000_000_000),
        "tmpfs": {"/tmp": f"rw,noexec,nosuid,nodev,size={limits.tmpfs_mb}m"},
        "volumes": {
            str(inputs_dir): {"bind": "/input", "mode": "ro"},
            str(output_dir): {"bind": "/output", "mode": "rw"},
        },
        # Only what the contract needs: no platform variables leak into the container.
        "environment": {"FORGERYBENCH_PROTOCOL": str(PROTOCOL_VERSION), "HOME": "/tmp"},
        "working_dir": "/tmp",
        "labels": docker_labels,
        # The engine's own log file is bounded too, whatever the container prints.
        "log_config": {"type": "json-file", "config": {"max-size": "4m", "max-file": "1"}},
        "ipc_mode": "private",
        # An image's HEALTHCHECK would have the engine exec commands in the container on its
        # own schedule: off.
        "healthcheck": {"test": ["NONE"]},
    }
    if limits.gpu:
        kwargs["device_requests"] = [gpu_device_request(limits.gpu_device_ids)]
    return kwargs


def gpu_device_request(device_ids: tuple[str, ...] = ()) -> DeviceRequest:
    """`--gpus 1`, or `--gpus device=<id>` when the worker has chosen the GPU itself."""
    if device_ids:
        return DeviceRequest(device_ids=list(device_ids), capabilities=[["gpu"]])
    return DeviceRequest(count=1, capabilities=[["gpu"]])


def _log_tail(container: Container, limit: int) -> str:
    """The last `limit` bytes of the container's output, read as a stream.

    Memory stays bounded whatever the container printed: chunks are appended to a buffer
    that is cut back to `limit` bytes as soon as it holds twice that.
    """
    tail = bytearray()
    try:
        for chunk in container.logs(stdout=True, stderr=True, stream=True, follow=False):
            tail += chunk
            if len(tail) > 2 * limit:
                del tail[:-limit]
    except docker.errors.APIError as exc:
        return f"(logs unavailable: {exc.explanation})"
    # Invalid UTF-8 becomes U+FFFD; NUL, which no database text column stores, is escaped.
    return bytes(tail[-limit:]).decode("utf-8", errors="replace").replace("\x00", "\\x00")


class _PidsWatch:
    """Reads the container's pids cgroup from the host: how often the limit refused a fork.

    cgroup v1 (`pids/docker/<id>`) and v2 (`docker/<id>`, systemd `docker-<id>.scope`) layouts
    are tried; where none is readable (a worker inside a container) it stays silent and a
    fork bomb ends at the time limit instead.
    """

    ROOTS = (
        "/sys/fs/cgroup/pids/docker/{id}",
        "/sys/fs/cgroup/pids/system.slice/docker-{id}.scope",
        "/sys/fs/cgroup/docker/{id}",
        "/sys/fs/cgroup/system.slice/docker-{id}.scope",
    )

    def __init__(self, container_id: str, limit: int):
        self.limit = limit
        self.folder = next(
            (
                Path(root.format(id=container_id))
                for root in self.ROOTS
                if Path(root.format(id=container_id), "pids.events").exists()
            ),
            None,
        )
        self.refused = 0  # forks refused by the limit so far
        self.saturated_polls = 0

    def look(self) -> None:
        if self.folder is None:
            return
        try:
            events = (self.folder / "pids.events").read_text()
            current = int((self.folder / "pids.current").read_text())
        except (OSError, ValueError):
            return  # the cgroup goes away with the container
        fields = dict(line.split(maxsplit=1) for line in events.splitlines() if line.strip())
        refused = int(fields.get("max", "0"))
        if refused > self.refused and current >= self.limit:
            self.saturated_polls += 1
        else:
            self.saturated_polls = 0
        self.refused = max(self.refused, refused)

    @property
    def bombing(self) -> bool:
        return self.saturated_polls >= PIDS_SATURATED_POLLS


class _MemoryWatch:
    """Reads the container's memory high-water mark from its cgroup while it lives.

    cgroup v2 keeps it in `memory.peak`, v1 in `memory.max_usage_in_bytes`; both only grow,
    so the last reading before the container exits holds the peak up to then. Where no
    cgroup is readable the peak stays None (not measured)."""

    FILES = (
        "/sys/fs/cgroup/docker/{id}/memory.peak",
        "/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.peak",
        "/sys/fs/cgroup/memory/docker/{id}/memory.max_usage_in_bytes",
        "/sys/fs/cgroup/memory/system.slice/docker-{id}.scope/memory.max_usage_in_bytes",
    )

    def __init__(self, container_id: str):
        self.file = next(
            (
                Path(name.format(id=container_id))
                for name in self.FILES
                if Path(name.format(id=container_id)).exists()
            ),
            None,
        )
        self.peak: int | None = None

    def look(self) -> None:
        if self.file is None:
            return
        try:
            value = int(self.file.read_text().strip())
        except (OSError, ValueError):
            return  # the cgroup goes away with the container
        self.peak = value if self.peak is None else max(self.peak, value)


def _remove_stale(client: docker.DockerClient, name: str) -> None:
    """A redelivered task finds the container of the run that died: remove it first."""
    with contextlib.suppress(docker.errors.NotFound):
        client.containers.get(name).remove(force=True, v=True)


@contextlib.contextmanager
def _output_folder(run_dir: Path, limits: RunLimits) -> Iterator[Path]:
    try:
        with capped_output(run_dir, cap_mb=limits.output_cap_mb, owner=limits.user) as folder:
            yield folder
            return
    except OutputCapUnavailable:
        if not limits.allow_uncapped_output:
            raise
        logger.warning("output size cap unavailable; running with an uncapped /output")
    with uncapped_output(run_dir, owner=limits.user) as folder:
        yield folder


def run_submission_container(
    client: docker.DockerClient,
    *,
    image_id: str,
    inputs_dir: Path,
    run_dir: Path,
    artifacts_dir: Path,
    limits: RunLimits,
    run_key: str,
    docker_labels: dict[str, str] | None = None,
    should_stop: Callable[[], bool] | None = None,
    collect: Collect | None = None,
) -> RunOutcome:
    """Run `image_id` on `inputs_dir`; copy what it wrote under /output to `artifacts_dir`.

    `should_stop` is asked while the container runs; True stops it with outcome `cancelled`
    (a cancel request, or another worker having taken the run over). `collect(output,
    artifacts_dir, bundle, limits)` takes the output out while /output is still mounted and
    reports what it refused; the default packs and unpacks it into `artifacts_dir`, the run
    agent packs only (runagent.output) and the platform unpacks what it uploads.
    """
    collect = collect or _collect_here
    name = container_name(run_key)
    container_labels = {f"{LABEL_PREFIX}.run": run_key, **(docker_labels or {})}
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return RunOutcome("image_missing", f"image {image_id} is not in the engine")
    _remove_stale(client, name)

    with _output_folder(run_dir, limits) as output_dir:
        kwargs = build_run_kwargs(
            image_id=image_id,
            inputs_dir=inputs_dir,
            output_dir=output_dir,
            limits=limits,
            docker_labels=container_labels,
        )
        flags = {k: v for k, v in kwargs.items() if k not in ("image", "detach", "labels")}
        flags["device_requests"] = [dict(r) for r in kwargs.get("device_requests", [])]
        started_at = datetime.now(UTC)
        try:
            container = client.containers.run(name=name, **kwargs)
        except docker.errors.APIError as exc:
            # `run` is create + start: a refused start (e.g. a GPU the engine cannot give)
            # leaves a created container behind; remove it.
            _remove_stale(client, name)
            return RunOutcome(
                "start_failed",
                f"the container could not start: {exc.explanation or exc}",
                started_at=started_at,
                ended_at=datetime.now(UTC),
                runtime_flags=flags,
            )
        removal: threading.Thread | None = None
        try:
            outcome = _wait(container, limits, started_at, should_stop)
            outcome.runtime_flags = flags
            # The engine removes the stopped container while its output is copied out; both
            # are done before this returns (no container outlives its run).
            removal = _remove_in_background(container)
            report = collect(
                output_dir, artifacts_dir, run_dir / "output.bundle.tar", limits.bundle_limits()
            )
            outcome.skipped_outputs = [str(refused) for refused in report.refused]
            outcome.output_bytes = report.bytes_read
            if outcome.succeeded:
                _judge_output(outcome, report)
            return outcome
        finally:
            if removal is None:
                _remove(container)
            else:
                removal.join()


def _collect_here(
    source: Path, destination: Path, bundle: Path, limits: BundleLimits
) -> PackReport:
    return collect_output(source, destination, bundle=bundle, limits=limits)


def _judge_output(outcome: RunOutcome, report: PackReport) -> None:
    """/output is the team's: an output refused whole, or holding anything but regular files
    and folders with clean names, ends the run as the team's failure, naming what was wrong."""
    if not report.ok:
        outcome.outcome, outcome.message = report.fatal, report.fatal_detail
    elif report.refused:
        named = [f"/output/{refused}"[:300] for refused in report.refused[:NAMED_REFUSALS]]
        more = len(report.refused) - len(named)
        outcome.outcome = "bad_output_file"
        outcome.message = (
            "/output may hold only regular files and folders with UTF-8 names; not carried: "
            + "; ".join(named)
            + (f"; and {more} more" if more else "")
        )


def _remove(container: Container) -> None:
    with contextlib.suppress(docker.errors.APIError, requests.exceptions.RequestException):
        container.remove(force=True, v=True)  # with any volume it made


def _remove_in_background(container: Container) -> threading.Thread:
    thread = threading.Thread(target=_remove, args=(container,), daemon=True)
    thread.start()
    return thread


def _wait(
    container: Container,
    limits: RunLimits,
    started_at: datetime,
    should_stop: Callable[[], bool] | None,
) -> RunOutcome:
    deadline = time.monotonic() + limits.timeout_seconds
    pids = _PidsWatch(container.id or "", limits.pids_limit)
    memory = _MemoryWatch(container.id or "")
    memory.look()
    stopped_for = ""  # why the platform stopped the container, if it did
    exit_code: int | None = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stopped_for = "timeout"
            break
        try:
            status = container.wait(timeout=min(POLL_SECONDS, remaining))
            exit_code = int(status.get("StatusCode", -1))
            break
        except (requests.exceptions.ReadTimeout, requests.exceptions.ConnectionError):
            pass
        pids.look()
        memory.look()
        if pids.bombing:
            stopped_for = "pids_limit"
            break
        if should_stop is not None and should_stop():
            stopped_for = "cancelled"
            break
    if stopped_for:
        memory.look()
        with contextlib.suppress(docker.errors.APIError):
            container.kill()
        with contextlib.suppress(Exception):
            container.wait(timeout=30)
    ended_at = datetime.now(UTC)
    container.reload()
    state = container.attrs.get("State", {})
    log_tail = _log_tail(container, limits.log_tail_bytes)
    pids_message = f"stopped by the process limit ({limits.pids_limit} processes)"
    if stopped_for == "timeout":
        outcome, message = "timeout", f"timed out after {limits.timeout_seconds} s"
    elif stopped_for == "pids_limit":
        outcome, message = "pids_limit", pids_message
    elif stopped_for == "cancelled":
        outcome, message = "cancelled", "stopped: the run was cancelled"
    elif state.get("OOMKilled"):
        outcome, message = "oom", f"out of memory (limit {limits.memory_mb} MiB)"
    elif exit_code != 0 and pids.refused:
        # It died after the limit refused it processes: name the limit, not just the code.
        outcome, message = "pids_limit", f"{pids_message}; exit code {exit_code}"
    elif exit_code != 0:
        outcome, message = "nonzero_exit", f"the container exited with code {exit_code}"
    else:
        outcome, message = "completed", ""
    peak = memory.peak
    if outcome == "oom":
        peak = max(peak or 0, limits.memory_mb * 1024 * 1024)
    return RunOutcome(
        outcome,
        message,
        exit_code=exit_code,
        container_id=container.id or "",
        started_at=started_at,
        ended_at=ended_at,
        log_tail=log_tail,
        peak_memory_bytes=peak,
    )

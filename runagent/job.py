"""One run job, start to end: claim, fetch, run, pack, upload, report.

The platform decides what runs; the agent only carries it out. Every step is safe to repeat:
a redelivered message finds the job claimed (by a live process, which keeps it, or by a dead
one on this machine, which this process takes over), and the upload and the outcome carry the
attempt token, so a superseded attempt cannot overwrite a newer one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors

from evaluator.gpu_slots import gpu_slot
from evaluator.hostfacts import engine_facts, gpu_info
from evaluator.image_tarball import ImageIntakeError, ImageLimits
from evaluator.runner import RunLimits, RunOutcome, run_submission_container

from .client import Claim, PlatformClient, PlatformError, Refusal
from .config import AgentConfig
from .images import image_load_checked
from .inputs import InputsError, inputs_folder
from .output import BUNDLE, bundle_output, sha256_of

logger = logging.getLogger(__name__)

AGENT_LABEL = "org.forgerybench.agent"
JOB_LABEL = "org.forgerybench.job"
# When (epoch seconds) the container is overdue: its job's time limit plus REAP_GRACE_SECONDS
# from its start. Agents' reapers remove an overdue container even when the process or agent
# that ran it, and the job's record, are gone (runagent.reaper).
DEADLINE_LABEL = "org.forgerybench.deadline"
REAP_GRACE_SECONDS = 300


def deadline_label(timeout_seconds: int, now: float | None = None) -> str:
    start = time.time() if now is None else now
    return str(int(start + timeout_seconds + REAP_GRACE_SECONDS))


def agent_identity(config: AgentConfig) -> str:
    """Names this agent process: the lease owner recorded on the job."""
    return f"{config.name}:{os.getpid()}"


def _owner_gone_here(owner: str, config: AgentConfig) -> bool:
    """True when `owner` is a process of this agent (same name) that no longer runs."""
    name, _, pid = owner.rpartition(":")
    if name != config.name or not pid.isdigit():
        return False  # another machine: only its heartbeat (the platform's lease) can tell
    if int(pid) == os.getpid():
        return True  # this process runs one job at a time: the earlier attempt has ended
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in ("Z", "X")  # killed; a zombie until its parent reaps it


def claim_job(client: PlatformClient, job_id: int, config: AgentConfig) -> Claim | None:
    me = agent_identity(config)
    answer = client.claim(job_id, owner=me)
    if isinstance(answer, Refusal) and answer.owner and _owner_gone_here(answer.owner, config):
        gone = answer.owner
        answer = client.claim(job_id, owner=me, takeover_from=gone)
        if isinstance(answer, Claim):
            logger.warning("job %s: took the run over from %s (gone)", job_id, gone)
    if isinstance(answer, Refusal) and answer.unknown:
        logger.warning(
            "job %s: %s; this agent's queues (%s) should be its credential's",
            job_id,
            answer.reason,
            ",".join(config.queues),
        )
        return None
    if isinstance(answer, Refusal):
        logger.info("job %s: not queued, or a live worker runs it (%s)", job_id, answer.reason)
        return None
    return answer


def _limits(spec: dict[str, Any], config: AgentConfig, gpu_ids: tuple[str, ...]) -> RunLimits:
    raw = spec["limits"]
    return RunLimits(
        timeout_seconds=int(raw["timeout_seconds"]),
        memory_mb=int(raw["memory_mb"]),
        cpus=float(raw["cpus"]),
        pids_limit=int(raw["pids_limit"]),
        output_cap_mb=int(raw["output_cap_mb"]),
        tmpfs_mb=int(raw["tmpfs_mb"]),
        user=str(raw["user"]),
        gpu=bool(raw["gpu"]),
        gpu_device_ids=gpu_ids,
        log_tail_bytes=int(raw["log_tail_bytes"]),
        allow_uncapped_output=config.allow_uncapped_output,
    )


def _heartbeat(client: PlatformClient, claim: Claim, every: float) -> Callable[[], bool]:
    """The runner's stop check: beat every `every` s; True (stop) once the job is not ours.
    A platform that does not answer keeps the container running: the next beat asks again."""
    last = time.monotonic()

    def should_stop() -> bool:
        nonlocal last
        if time.monotonic() - last < every:
            return False
        last = time.monotonic()
        try:
            return not client.heartbeat(claim)
        except PlatformError as exc:
            logger.warning("job %s: heartbeat failed (%s); the run goes on", claim.job_id, exc)
            return False

    return should_stop


@contextlib.contextmanager
def _gpu(spec: dict[str, Any], config: AgentConfig) -> Iterator[tuple[str, ...]]:
    if not spec["limits"].get("gpu") or not config.gpu_devices:
        yield ()
        return
    with gpu_slot(config.gpu_devices, config.gpu_lock_dir) as device:
        yield (device,)


def _ensure_image(
    engine: docker.DockerClient,
    client: PlatformClient,
    claim: Claim,
    image_id: str,
    work: Path,
    limits: ImageLimits,
) -> tuple[str, str]:
    """('', '') when the engine has `image_id` (fetched from the platform and checked if
    needed), else the outcome and why. A copy that is not exactly that image is never loaded:
    the platform's store was damaged or tampered with, which is no fault of the team's
    (`platform_error`, uncounted)."""
    try:
        engine.images.get(image_id)
        return "", ""
    except docker.errors.ImageNotFound:
        pass
    tarball = work / "image.tar"
    try:
        client.download(claim, "image", tarball)
    except PlatformError as exc:
        if exc.status == 404:
            return (
                "image_missing",
                f"image {image_id} is not in this agent's engine and the platform has no copy",
            )
        raise
    try:
        image_load_checked(engine, path=tarball, image_id=image_id, limits=limits)
    except ImageIntakeError as exc:
        logger.error("job %s: the platform's copy of %s refused: %s", claim.job_id, image_id, exc)
        return (
            "platform_error",
            f"the platform's copy of image {image_id} was refused ({exc.code}): {exc}",
        )
    except docker.errors.DockerException as exc:
        return "platform_error", f"image {image_id} could not be loaded: {exc}"
    finally:
        tarball.unlink(missing_ok=True)
    return "", ""


class _Phases:
    """Seconds spent per step of a job, for the agent's log (where the time goes)."""

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.spent: dict[str, float] = {}

    def mark(self, name: str, *, less: tuple[str, ...] = ()) -> None:
        now = time.monotonic()
        self.spent[name] = now - self.last - sum(self.spent.get(other, 0.0) for other in less)
        self.last = now

    def timed(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            start = time.monotonic()
            try:
                return call(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.monotonic() - start

        return wrapped

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.spent.items())


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _outcome_body(outcome: RunOutcome) -> dict[str, Any]:
    return {
        "outcome": outcome.outcome,
        "message": outcome.message,
        "exit_code": outcome.exit_code,
        "container_id": outcome.container_id,
        "started_at": _iso(outcome.started_at),
        "ended_at": _iso(outcome.ended_at),
        "log_tail": outcome.log_tail,
        "runtime_flags": outcome.runtime_flags,
        "refused": outcome.skipped_outputs[:200],
        "peak_memory_bytes": outcome.peak_memory_bytes,
        "output_bytes": outcome.output_bytes,
    }


def run_job(
    *,
    job_id: int,
    client: PlatformClient,
    engine: docker.DockerClient,
    config: AgentConfig,
) -> str:
    """Carry out job `job_id`; returns the outcome reported ('' when there was nothing to do)."""
    phases = _Phases()
    claim = claim_job(client, job_id, config)
    phases.mark("claim")
    if claim is None:
        return ""
    spec = claim.spec
    config.runs_dir.mkdir(parents=True, exist_ok=True)
    # One folder per job: a takeover reuses it, and the runner detaches a mount its killed
    # predecessor left there.
    work = config.runs_dir / f"job-{job_id}"
    work.mkdir(exist_ok=True)
    try:
        failed, why = _ensure_image(
            engine, client, claim, spec["image_id"], work, config.image_limits
        )
        if failed:
            client.report_outcome(claim, {"outcome": failed, "message": why})
            return failed
        try:
            inputs = inputs_folder(client, claim, spec["inputs_sha256"], config.cache_dir)
        except InputsError as exc:
            client.report_outcome(claim, {"outcome": "platform_error", "message": str(exc)})
            return "platform_error"
        phases.mark("image and inputs")
        labels = {
            **{str(k): str(v) for k, v in spec.get("container_labels", {}).items()},
            AGENT_LABEL: config.name,
            JOB_LABEL: str(job_id),
            DEADLINE_LABEL: deadline_label(int(spec["limits"]["timeout_seconds"])),
        }
        with _gpu(spec, config) as gpu_ids:
            outcome = run_submission_container(
                engine,
                image_id=spec["image_id"],
                inputs_dir=inputs,
                run_dir=work / "run",
                artifacts_dir=work / "out",
                limits=_limits(spec, config, gpu_ids),
                run_key=spec["run_key"],
                docker_labels=labels,
                should_stop=_heartbeat(client, claim, float(spec.get("heartbeat_seconds", 2))),
                collect=phases.timed("pack", bundle_output),
            )
        phases.mark("container", less=("pack",))
        body = _outcome_body(outcome)
        digest, engine_host = engine_facts(engine, spec["image_id"])
        gpu_model, gpu_driver = gpu_info() if spec["limits"].get("gpu") else ("", "")
        body["host"] = {
            "agent": agent_identity(config),
            "image_digest": digest,
            "engine_host": engine_host,
            "gpu_model": gpu_model,
            "gpu_driver": gpu_driver,
        }
        phases.mark("host facts")
        bundle = work / "out" / BUNDLE
        if outcome.outcome != "cancelled" and bundle.is_file():
            body["bundle_sha256"] = sha256_of(bundle)
            try:
                client.upload_output(claim, bundle, body["bundle_sha256"])
            except PlatformError as exc:
                if exc.status != 404:
                    raise
                # Cancelled (or taken over) as the container ended: the output is not
                # wanted, the report still is (a cancelled run's log and measurements).
                logger.info("job %s: output not taken (%s)", job_id, exc)
        phases.mark("upload")
        client.report_outcome(claim, body)
        phases.mark("report")
        logger.info("job %s: %s %s (%s)", job_id, outcome.outcome, outcome.message, phases)
        return outcome.outcome
    finally:
        shutil.rmtree(work, ignore_errors=True)


def clean_runs_dir(config: AgentConfig) -> list[str]:
    """Detach the capped /output mounts a killed process of this agent left in its runs folder,
    and remove the folder's leftovers (called at start, before any job runs)."""
    import subprocess

    root = str(config.runs_dir.resolve()) + "/"
    detached = []
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        mounts = []
    for line in mounts:
        fields = line.split()
        if len(fields) > 1 and fields[1].startswith(root):
            subprocess.run(["umount", "-l", fields[1]], capture_output=True, check=False)
            detached.append(fields[1])
    if config.runs_dir.is_dir():
        for leftover in config.runs_dir.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
    return detached


def remove_own_orphans(engine: docker.DockerClient, config: AgentConfig) -> list[str]:
    """Containers this agent (by name) left behind when a process of it was killed."""
    removed = []
    for container in engine.containers.list(
        all=True, sparse=True, filters={"label": f"{AGENT_LABEL}={config.name}"}
    ):
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.remove(force=True, v=True)  # with its anonymous volumes
            removed.append(container.id or "")
    return removed

"""The agent's configuration: environment variables only, read once at start.

| variable                           | meaning                                                  |
|------------------------------------|----------------------------------------------------------|
| FORGERYBENCH_AGENT_PLATFORM_URL    | the platform's base URL (https://… for a remote agent)   |
| FORGERYBENCH_AGENT_TOKEN(_FILE)    | the agent credential (`manage.py agent_credential_create`)|
| FORGERYBENCH_AGENT_BROKER_URL(_FILE)| the broker, with an account limited to the run queues    |
| FORGERYBENCH_AGENT_BROKER_DIR      | filesystem broker only: its folder (the local demo)       |
| FORGERYBENCH_AGENT_DIR             | scratch and cache folder (inputs cache, runs, bundles)    |
| FORGERYBENCH_AGENT_QUEUES          | queues consumed, default `cpu,gpu`                         |
| FORGERYBENCH_AGENT_NAME            | names this agent's containers (default: the host name)    |
| FORGERYBENCH_GPU_DEVICES           | GPUs this agent hands out, one per run (default: none)    |
| FORGERYBENCH_GPU_LOCK_DIR          | where the GPU slot locks live                              |
| FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT | run without the loop-mounted /output cap (hosts without it)|
| FORGERYBENCH_IMAGE_MAX_BYTES       | largest uncompressed image tarball loaded (default 16 GiB) |
| FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES | bytes an image's layers may unpack to (default 16 GiB) |
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.image_tarball import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_UNPACKED_BYTES, ImageLimits


class AgentConfigError(RuntimeError):
    """A required setting is missing or malformed; the message names it."""


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _env_or_file(name: str) -> str:
    """NAME, or the content of the file NAME_FILE names (secrets mounted as files)."""
    value = _env(name)
    path = _env(f"{name}_FILE")
    if not value and path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AgentConfigError(f"{name}_FILE: {exc}") from None
    return value


def _token() -> str:
    token = _env_or_file("FORGERYBENCH_AGENT_TOKEN")
    if not token:
        raise AgentConfigError(
            "FORGERYBENCH_AGENT_TOKEN (or FORGERYBENCH_AGENT_TOKEN_FILE) is required"
        )
    return token


@dataclass(frozen=True)
class AgentConfig:
    platform_url: str
    token: str
    broker_url: str
    broker_dir: Path | None
    work_dir: Path
    queues: tuple[str, ...]
    name: str
    gpu_devices: tuple[str, ...]
    gpu_lock_dir: Path
    allow_uncapped_output: bool
    image_limits: ImageLimits = field(default_factory=ImageLimits)

    @property
    def cache_dir(self) -> Path:
        return self.work_dir / "cache"

    @property
    def runs_dir(self) -> Path:
        return self.work_dir / "runs"


def _env_bytes(name: str, default: int) -> int:
    value = _env(name)
    if not value:
        return default
    if not value.isdigit() or int(value) < 1024:
        raise AgentConfigError(f"{name} must be a whole number of bytes, at least 1024")
    return int(value)


def load_config() -> AgentConfig:
    url = _env("FORGERYBENCH_AGENT_PLATFORM_URL").rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise AgentConfigError("FORGERYBENCH_AGENT_PLATFORM_URL must be an http(s):// URL")
    broker = _env_or_file("FORGERYBENCH_AGENT_BROKER_URL")
    if not broker:
        raise AgentConfigError("FORGERYBENCH_AGENT_BROKER_URL is required")
    broker_dir = _env("FORGERYBENCH_AGENT_BROKER_DIR")
    if broker.startswith("filesystem://") and not broker_dir:
        raise AgentConfigError("a filesystem:// broker needs FORGERYBENCH_AGENT_BROKER_DIR")
    work = _env("FORGERYBENCH_AGENT_DIR")
    if not work:
        raise AgentConfigError("FORGERYBENCH_AGENT_DIR (scratch and cache folder) is required")
    queues = tuple(q for q in _env("FORGERYBENCH_AGENT_QUEUES", "cpu,gpu").split(",") if q)
    if not set(queues) <= {"cpu", "gpu"}:
        raise AgentConfigError(f"FORGERYBENCH_AGENT_QUEUES: only cpu and gpu, not {queues}")
    name = _env("FORGERYBENCH_AGENT_NAME") or socket.gethostname()
    devices = tuple(d for d in _env("FORGERYBENCH_GPU_DEVICES").replace(" ", "").split(",") if d)
    lock_dir = _env("FORGERYBENCH_GPU_LOCK_DIR") or f"/tmp/forgerybench-agent-{name}-gpus"
    return AgentConfig(
        platform_url=url,
        token=_token(),
        broker_url=broker,
        broker_dir=Path(broker_dir) if broker_dir else None,
        work_dir=Path(work),
        queues=queues,
        name=name,
        gpu_devices=devices,
        gpu_lock_dir=Path(lock_dir),
        allow_uncapped_output=_env("FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT").lower()
        in ("1", "true", "yes", "on"),
        image_limits=ImageLimits(
            max_bytes=_env_bytes("FORGERYBENCH_IMAGE_MAX_BYTES", DEFAULT_MAX_IMAGE_BYTES),
            max_unpacked_bytes=_env_bytes(
                "FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES", DEFAULT_MAX_UNPACKED_BYTES
            ),
        ),
    )

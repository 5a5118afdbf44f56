"""Give each concurrent run on a node its own GPU.

A worker on a node with N GPUs runs N containers at once (Celery concurrency N); each must see
exactly one GPU and no two may share one. Every run holds an exclusive `flock` on one device's
lock file for as long as its container lives. The kernel drops the lock when the holder exits,
even when it is killed, so a crashed run never leaves a GPU claimed. The lock folder must be
local to the node (never a shared volume): GPUs are a node's own.
"""

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator, Sequence
from pathlib import Path


class GpuUnavailable(RuntimeError):
    """Every GPU of this worker stayed busy for the whole wait."""


def _try_lock(path: Path) -> int | None:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def parse_devices(value: Sequence[str]) -> tuple[str, ...]:
    """Device ids from a setting; NVIDIA's `all`, `none` and `void` name no single device."""
    devices = tuple(item.strip() for item in value if item.strip())
    if any(item.lower() in {"all", "none", "void"} for item in devices):
        return ()
    if len(set(devices)) != len(devices):
        raise ValueError(f"GPU device ids repeat: {', '.join(devices)}")
    return devices


@contextlib.contextmanager
def gpu_slot(
    devices: Sequence[str], lock_dir: Path, *, wait_seconds: float = 600.0, poll: float = 0.2
) -> Iterator[str]:
    """Hold one of `devices` exclusively on this node while the block runs; yield its id."""
    if not devices:
        raise ValueError("gpu_slot needs at least one device id")
    lock_dir.mkdir(parents=True, exist_ok=True)
    # Start at a different device in each process so idle GPUs are found on the first try.
    start = os.getpid() % len(devices)
    order = [*devices[start:], *devices[:start]]
    deadline = time.monotonic() + wait_seconds
    while True:
        for device in order:
            fd = _try_lock(lock_dir / f"gpu-{device.replace('/', '_')}.lock")
            if fd is not None:
                try:
                    yield device
                finally:
                    os.close(fd)  # closing the descriptor releases the lock
                return
        if time.monotonic() >= deadline:
            raise GpuUnavailable(
                f"all {len(devices)} GPU(s) of this worker stayed busy for {wait_seconds:.0f} s "
                f"(devices {', '.join(devices)}; is concurrency above the GPU count?)"
            )
        time.sleep(poll)

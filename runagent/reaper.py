"""What a killed agent leaves behind, removed: at start, and overdue containers periodically.

At start (before the agent consumes a message) no job of this agent runs, so every
container labelled with its name is a leftover of a killed process: each is removed with its
volumes, and each capped /output still mounted under its runs folder is detached and the
folder emptied (`runagent.job.remove_own_orphans`, `clean_runs_dir`).

While it runs, a reaper thread in the agent's main process removes any run container on its
engine past its deadline label (its job's time limit plus a grace, set when it was started),
whatever happened to the process or agent that started it or to the job's record: without
its agent no one else enforces the time limit. That includes containers of an agent that
never comes back under its old name (a recreated agent container gets a new host name); no
run that is still wanted is ever past its deadline.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import docker
import docker.errors

from .config import AgentConfig
from .job import AGENT_LABEL, DEADLINE_LABEL, clean_runs_dir, remove_own_orphans

logger = logging.getLogger(__name__)

REAP_EVERY_SECONDS = 30.0


def clean_at_start(config: AgentConfig) -> tuple[list[str], list[str]]:
    """Remove this agent's leftover containers and /output mounts; (containers, mounts)."""
    engine = docker.from_env(timeout=120)
    try:
        removed = remove_own_orphans(engine, config)
    finally:
        engine.close()
    detached = clean_runs_dir(config)
    if removed:
        logger.warning("removed %d container(s) a killed agent process left", len(removed))
    if detached:
        logger.warning("detached %d /output mount(s) a killed agent process left", len(detached))
    return removed, detached


def reap_overdue(engine: docker.DockerClient, *, now: float | None = None) -> list[str]:
    """Remove (with volumes) every agent-started container whose deadline has passed."""
    moment = time.time() if now is None else now
    removed = []
    for container in engine.containers.list(
        all=True, sparse=True, filters={"label": [AGENT_LABEL, DEADLINE_LABEL]}
    ):
        labels = container.attrs.get("Labels") or {}
        deadline = str(labels.get(DEADLINE_LABEL, ""))
        if not deadline.isdigit() or int(deadline) > moment:
            continue
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            container.remove(force=True, v=True)
            removed.append(container.id or "")
            logger.warning(
                "removed container %s of agent %s: past its job's time limit and grace (job %s)",
                (container.id or "")[:12],
                labels.get(AGENT_LABEL, "?"),
                labels.get("org.forgerybench.job", "?"),
            )
    return removed


class Reaper:
    """A daemon thread: `reap_overdue` every `every` seconds, with its own engine client."""

    def __init__(self, every: float = REAP_EVERY_SECONDS):
        self.every = every
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def _loop(self) -> None:
        engine = docker.from_env(timeout=60)
        try:
            while not self.stopping.wait(self.every):
                try:
                    reap_overdue(engine)
                except Exception:  # an engine hiccup: the next round tries again
                    logger.exception("reaper round failed")
        finally:
            engine.close()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="reaper", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=10)

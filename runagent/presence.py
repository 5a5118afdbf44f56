"""The agent's presence beat: "alive, serving these queues, N slots, M busy, these GPUs".

A daemon thread in the agent's main process says it every `every` seconds (the platform's
answer may set another pace), idle or busy, from start to a clean stop, when it says goodbye
(`stopping`). It never holds a run up: a beat that fails is logged and the next one tries
again. It uses its own HTTP session, apart from the one the runs use.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .client import PlatformClient, PlatformError
from .config import AgentConfig

logger = logging.getLogger(__name__)

DEFAULT_EVERY = 15.0


class PresenceBeat:
    def __init__(
        self,
        *,
        client: PlatformClient,
        config: AgentConfig,
        slots: int,
        busy: Callable[[], int],
        every: float = DEFAULT_EVERY,
    ):
        self.client = client
        self.config = config
        self.slots = slots
        self.busy = busy
        self.every = every
        self.started_at = datetime.now(UTC)
        self.stopping = threading.Event()
        self.beats = 0
        self.thread: threading.Thread | None = None

    def body(self, *, stopping: bool = False) -> dict[str, Any]:
        return {
            "name": self.config.name,
            "queues": list(self.config.queues),
            "slots": self.slots,
            "busy": 0 if stopping else max(0, min(self.busy(), self.slots)),
            "gpu_devices": list(self.config.gpu_devices),
            "started_at": self.started_at.isoformat(),
            "stopping": stopping,
        }

    def beat(self, *, stopping: bool = False) -> bool:
        try:
            answer = self.client.presence(self.body(stopping=stopping))
        except PlatformError as exc:
            logger.warning("presence beat failed (%s); the next one tries again", exc)
            return False
        every = answer.get("every_seconds")
        if isinstance(every, int | float) and not isinstance(every, bool) and 1 <= every <= 600:
            self.every = float(every)
        self.beats += 1
        return True

    def _loop(self) -> None:
        self.beat()
        while not self.stopping.wait(self.every):
            self.beat()

    def start(self) -> None:
        self.thread = threading.Thread(target=self._loop, name="presence", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """End the beat and say goodbye (the agent shows as down at once)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(timeout=15)
        self.beat(stopping=True)


def announce_start(config: AgentConfig) -> bool:
    """Tell the platform this agent (by name) starts afresh, before it takes any message:
    the jobs its credential holds under this name belong to killed processes, and go back
    to their queue at once instead of when their lease runs out. Best effort: without an
    answer the lease does it."""
    client = PlatformClient(config.platform_url, config.token)
    body = {
        "name": config.name,
        "queues": list(config.queues),
        "slots": 0,
        "busy": 0,
        "gpu_devices": list(config.gpu_devices),
        "started_at": datetime.now(UTC).isoformat(),
        "starting": True,
    }
    try:
        answer = client.presence(body, retry_seconds=10)
    except PlatformError as exc:
        logger.warning("could not announce the start (%s); held jobs wait for their lease", exc)
        return False
    released = answer.get("released") or []
    if released:
        logger.warning("jobs a killed process of this agent held, queued again: %s", released)
    return True

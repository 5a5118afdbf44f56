"""The agent's Celery app: Django-free, consuming only the run queues (`cpu`, `gpu`).

A message carries only a job id; everything else comes from the platform's agent API under
the agent credential. Start it with `python -m runagent` (see __main__).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import docker
from celery import Celery, Task
from celery.signals import worker_ready, worker_shutdown
from celery.worker import state as worker_state
from kombu import Queue

from .client import PlatformClient
from .config import AgentConfig, load_config
from .job import run_job
from .presence import PresenceBeat
from .reaper import Reaper

logger = logging.getLogger("runagent")

RUN_TASK = "runagent.run"


def _transport_options(config: AgentConfig) -> dict[str, Any]:
    if config.broker_url.startswith("filesystem://") and config.broker_dir is not None:
        queue, control = config.broker_dir / "queue", config.broker_dir / "control"
        for folder in (queue, control):
            folder.mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "control_folder": str(control),
            "store_processed": False,
        }
    return dict(REDIS_TRANSPORT_OPTIONS)


# Must match the platform's: ten priority levels, ':' before the level. The bookkeeping of
# messages taken but not yet acknowledged lives under the agents' own key names, never the
# `unacked` hash the platform's consumers restore from: whatever an agent's broker account
# writes there goes back only to the run queues (the ACL in deploy/redis/agent-acl.rules
# grants these keys and the run queues, nothing else).
REDIS_TRANSPORT_OPTIONS: dict[str, Any] = {
    "priority_steps": list(range(10)),
    "sep": ":",
    "unacked_key": "agent-unacked",
    "unacked_index_key": "agent-unacked_index",
    "unacked_mutex_key": "agent-unacked_mutex",
}


def make_app(config: AgentConfig) -> Celery:
    app = Celery("forgerybench-agent")
    app.conf.update(
        broker_url=config.broker_url,
        broker_transport_options=_transport_options(config),
        broker_connection_retry_on_startup=True,
        # The platform declares the queues when it sends; the agent's broker account may
        # touch nothing but the run queues' own keys, so it declares nothing.
        task_queues=[Queue(name, no_declare=True) for name in config.queues],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        worker_prefetch_multiplier=1,
        # The broker account reaches the run queues only: no remote control, no events.
        worker_enable_remote_control=False,
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
    )

    @app.task(bind=True, name=RUN_TASK, acks_late=True, reject_on_worker_lost=True)
    def run(self: Task, job_id: int) -> None:
        run_job(job_id=int(job_id), client=_client(config), engine=_engine(), config=config)

    # The main process (not the pool's children) says the agent is alive and reaps overdue
    # containers; leftovers of a killed agent were removed before it started consuming
    # (runagent.__main__). Each thread has its own HTTP session or engine client.
    helpers: list[PresenceBeat | Reaper] = []

    @worker_ready.connect(weak=False)
    def _started(sender: Any = None, **_: Any) -> None:
        controller = getattr(sender, "controller", None)
        slots = int(getattr(controller, "concurrency", 0) or 1)
        beat = PresenceBeat(
            client=PlatformClient(config.platform_url, config.token, retry_seconds=0),
            config=config,
            slots=slots,
            busy=lambda: len(worker_state.active_requests),
        )
        reaper = Reaper()
        beat.start()
        reaper.start()
        helpers.extend([beat, reaper])

    @worker_shutdown.connect(weak=False)
    def _stopping(**_: Any) -> None:
        while helpers:
            helpers.pop().stop()

    return app


@functools.cache
def _engine() -> docker.DockerClient:
    engine = docker.from_env(timeout=120)
    engine.ping()
    return engine


@functools.cache
def _client_for(url: str, token: str) -> PlatformClient:
    return PlatformClient(url, token)


def _client(config: AgentConfig) -> PlatformClient:
    return _client_for(config.platform_url, config.token)


def app_from_env() -> Celery:
    return make_app(load_config())

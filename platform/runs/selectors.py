"""Reads for run jobs and the agents that carry them out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from evaluator.image_tarball import image_id_valid, store_path

from .models import AgentPresence, RunJob

SHOWN_FOR = timedelta(days=1)  # presence rows older than this are not shown


def image_tarball_for(*, image_id: str) -> Path | None:
    """The image store's untagged `docker save` copy of an image, by its ID, if it keeps one.
    Served as it is: the agent checks that it holds exactly that image before loading it."""
    if not image_id_valid(image_id):
        return None
    path = store_path(Path(settings.FORGERYBENCH_IMAGE_STORE_DIR), image_id)
    return path if path.is_file() else None


def runjobs_open_for(*, submission_id: int, kind: str) -> list[RunJob]:
    return list(
        RunJob.objects.filter(
            submission_id=submission_id, kind=kind, state__in=["queued", "running"]
        ).order_by("pk")
    )


@dataclass(frozen=True)
class AgentSeen:
    """One run agent as its presence rows show it now."""

    name: str  # the agent's name, with its credential's when they differ
    queues: tuple[str, ...]
    slots: int
    busy: int
    gpu_devices: int
    state: str  # "idle" or "busy" (seen within the window), "stale", "down"
    last_seen_at: datetime

    @property
    def up(self) -> bool:
        return self.state in ("idle", "busy")


def agent_state(*, presence: AgentPresence, now: datetime) -> str:
    """idle/busy when seen within the presence window; stale up to ten windows (missed
    beats: a slow network, a stuck process); down after that or once it said goodbye."""
    window = timedelta(seconds=settings.FORGERYBENCH_AGENT_PRESENCE_WINDOW_SECONDS)
    age = now - presence.last_seen_at
    if presence.stopped or age > window * 10:
        return "down"
    if age > window:
        return "stale"
    return "busy" if presence.busy else "idle"


def agents_seen(*, now: datetime) -> list[AgentSeen]:
    """Every agent heard from in the last day, by name."""
    rows = (
        AgentPresence.objects.filter(last_seen_at__gte=now - SHOWN_FOR)
        .select_related("credential")
        .order_by("name", "credential__name")
    )
    return [
        AgentSeen(
            name=row.name
            if row.name == row.credential.name
            else f"{row.name} ({row.credential.name})",
            queues=tuple(row.queues),
            slots=row.slots,
            busy=row.busy,
            gpu_devices=len(row.gpu_devices),
            # A revoked credential's agent can no longer take jobs.
            state="down" if row.credential.revoked_at else agent_state(presence=row, now=now),
            last_seen_at=row.last_seen_at,
        )
        for row in rows
    ]

"""Agent presence (writes): an agent says it is alive, idle or busy, every few seconds.

`POST /api/agent/v1/presence` carries only what an agent may say of itself: its name, the
run queues it serves, its slots and how many are busy, and the GPUs it hands out; and, once
before it takes any message, that it starts afresh (`starting`): the jobs its credential
holds under that name were its killed processes' and go back to their queue at once. The row is
keyed by the credential and that name, so a credential writes only its own rows (a stolen one
can at most spoil its own presence), and it may keep at most MAX_NAMES_PER_CREDENTIAL of them
(names not heard from for a day make room).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import RUN_QUEUES, AgentCredential, AgentPresence
from .services import runjob_release_restarted

MAX_NAMES_PER_CREDENTIAL = 16
MAX_SLOTS = 256
MAX_GPU_DEVICES = 64
FORGET_AFTER = timedelta(days=1)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,79}$")
_DEVICE = re.compile(r"^[A-Za-z0-9:_.-]{1,64}$")


class PresenceError(ValueError):
    """What the agent said of itself is malformed; `code` names the field."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class PresenceAnswer:
    presence: AgentPresence
    every_seconds: int
    released: list[int]  # jobs queued again because the agent said it starts afresh


def _count(body: dict[str, Any], key: str, upper: int) -> int:
    value = body.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= upper:
        raise PresenceError(f"bad_{key}", f"'{key}' must be a whole number from 0 to {upper}")
    return value


def _clean(body: dict[str, Any], now: datetime) -> dict[str, Any]:
    name = body.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise PresenceError(
            "bad_name",
            "'name' must be 1-80 letters, digits or _.@- (starting with one of the first two)",
        )
    queues = body.get("queues")
    if (
        not isinstance(queues, list)
        or not queues
        or any(q not in RUN_QUEUES for q in queues)
        or len(set(queues)) != len(queues)
    ):
        raise PresenceError("bad_queues", f"'queues' must list run queues, each once: {RUN_QUEUES}")
    slots = _count(body, "slots", MAX_SLOTS)
    busy = _count(body, "busy", MAX_SLOTS)
    if busy > slots:
        raise PresenceError("bad_busy", "'busy' cannot exceed 'slots'")
    devices = body.get("gpu_devices", [])
    if (
        not isinstance(devices, list)
        or len(devices) > MAX_GPU_DEVICES
        or any(not isinstance(d, str) or not _DEVICE.match(d) for d in devices)
    ):
        raise PresenceError("bad_gpu_devices", "'gpu_devices' must list short device ids")
    started = body.get("started_at")
    started_at = parse_datetime(started) if isinstance(started, str) and len(started) < 40 else None
    if started is not None and (started_at is None or started_at.tzinfo is None):
        raise PresenceError("bad_started_at", "'started_at' must be an ISO 8601 time with zone")
    if started_at is not None and started_at > now + timedelta(minutes=5):
        started_at = now  # a clock ahead of ours: keep the row sane
    return {
        "name": name,
        "queues": sorted(queues),
        "slots": slots,
        "busy": busy,
        "gpu_devices": devices,
        "started_at": started_at,
        "stopped": bool(body.get("stopping", False)),
    }


def agent_presence_record(*, credential: AgentCredential, body: dict[str, Any]) -> PresenceAnswer:
    """Record what `credential`'s agent `body["name"]` says of itself now."""
    now = timezone.now()
    fields = _clean(body, now)
    name = fields.pop("name")
    outside = sorted(set(fields["queues"]) - set(credential.queues))
    if outside:
        raise PresenceError(
            "bad_queues",
            f"this credential serves {', '.join(credential.queues)} only, not "
            f"{', '.join(outside)}: its agents take no job of another queue",
        )
    with transaction.atomic():
        # One writer at a time per credential: the cap on names holds under concurrent calls.
        AgentCredential.objects.select_for_update().filter(pk=credential.pk).first()
        rows = AgentPresence.objects.filter(credential=credential)
        if not rows.filter(name=name).exists():
            rows.filter(last_seen_at__lt=now - FORGET_AFTER).delete()
            if rows.count() >= MAX_NAMES_PER_CREDENTIAL:
                raise PresenceError(
                    "too_many_agents",
                    f"this credential already speaks for {MAX_NAMES_PER_CREDENTIAL} agent names "
                    "seen within a day; reuse a name or use another credential",
                )
        presence, _ = AgentPresence.objects.update_or_create(
            credential=credential,
            name=name,
            defaults={**fields, "last_seen_at": now},
            create_defaults={**fields, "last_seen_at": now, "first_seen_at": now},
        )
        released = (
            runjob_release_restarted(credential=credential, name=name)
            if body.get("starting") is True
            else []
        )
    return PresenceAnswer(presence, settings.FORGERYBENCH_AGENT_PRESENCE_SECONDS, released)

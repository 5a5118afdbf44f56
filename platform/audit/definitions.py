"""Benchmark definition changes into the audit log, whichever path made them.

Benchmarks, tracks, splits and phases change through the admin, services, importers and the
organizer console; a post_save / post_delete receiver per model records a snapshot of the row's
fields and, for an update, the fields that changed (``before`` / ``after``, compared with the
snapshot the log last recorded). A save that changes nothing (an idempotent reload) adds no
entry. Code that knows who changes a definition and why (the console) wraps its saves in
:func:`definition_change_by`; everything else is logged as ``system``. Apps above add their
own definition models with :func:`watch` (the review app: each track's audit-test policy).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import post_delete, post_save

from .models import AuditAction, AuditEntry
from .services import audit_append

DEFINITION_MODELS = (
    "benchmarks.Benchmark",
    "benchmarks.Track",
    "benchmarks.Split",
    "benchmarks.Phase",
)
# Bookkeeping columns that change on every save without changing the definition.
IGNORED = {"updated_at", "created_at"}


@dataclass
class _ChangeContext:
    actor: str
    reason: str
    # Snapshots of rows as read from the database before the change, by (type, id): a truer
    # "before" than the log's last snapshot when a row was also changed by a bulk update.
    before: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def remember(self, instance: models.Model) -> None:
        self.before[_target(instance)] = snapshot(instance)


_changed_by: ContextVar[_ChangeContext | None] = ContextVar("definition_changed_by", default=None)


@contextmanager
def definition_change_by(*, actor: str, reason: str) -> Iterator[_ChangeContext]:
    """Definition saves inside this block are logged with this actor and reason; call
    ``remember(row)`` on a freshly read row before changing it to pin its "before"."""
    context = _ChangeContext(actor, reason)
    token = _changed_by.set(context)
    try:
        yield context
    finally:
        _changed_by.reset(token)


def snapshot(instance: models.Model) -> dict[str, Any]:
    fields = {
        column.attname: getattr(instance, column.attname)
        for column in instance._meta.concrete_fields
        if column.attname not in IGNORED
    }
    return json.loads(json.dumps(fields, cls=DjangoJSONEncoder))


def definition_diff(
    before: dict[str, Any] | None, after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) of the fields whose value differs; all of ``after`` when no before."""
    if before is None:
        return {}, dict(after)
    keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _target(instance: models.Model) -> tuple[str, str]:
    return instance._meta.model_name or "", str(instance.pk)


def last_snapshot(target_type: str, target_id: str) -> dict[str, Any] | None:
    """The row's fields as the log last recorded them."""
    entry = (
        AuditEntry.objects.filter(
            action=AuditAction.DEFINITION_CHANGED, target_type=target_type, target_id=target_id
        )
        .order_by("-seq")
        .only("payload")
        .first()
    )
    return entry.payload.get("fields") if entry else None


def _who() -> tuple[str, str]:
    context = _changed_by.get()
    return (context.actor, context.reason) if context else ("system", "")


def _before(target_type: str, target_id: str) -> dict[str, Any] | None:
    context = _changed_by.get()
    remembered = context.before.get((target_type, target_id)) if context else None
    return remembered if remembered is not None else last_snapshot(target_type, target_id)


def record_saved(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw:  # fixtures loading
        return
    target_type, target_id = _target(instance)
    fields = snapshot(instance)
    previous = None if created else _before(target_type, target_id)
    if not created and previous == fields:
        return
    payload: dict[str, Any] = {"change": "created" if created else "updated", "fields": fields}
    if not created:
        payload["before"], payload["after"] = definition_diff(previous, fields)
    actor, reason = _who()
    audit_append(
        action=AuditAction.DEFINITION_CHANGED,
        target_type=target_type,
        target_id=target_id,
        actor=actor,
        reason=reason,
        payload=payload,
    )


def record_deleted(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    target_type, target_id = _target(instance)
    actor, reason = _who()
    audit_append(
        action=AuditAction.DEFINITION_CHANGED,
        target_type=target_type,
        target_id=target_id,
        actor=actor,
        reason=reason,
        payload={"change": "deleted", "fields": snapshot(instance)},
    )


def watch(model: type[models.Model]) -> None:
    """Log every change of this model's rows (an app above calls it from its ``ready``)."""
    label = model._meta.label
    post_save.connect(record_saved, sender=model, dispatch_uid=f"audit-save-{label}")
    post_delete.connect(record_deleted, sender=model, dispatch_uid=f"audit-delete-{label}")


def connect() -> None:
    for label in DEFINITION_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        watch(model)

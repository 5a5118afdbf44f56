"""Benchmark definition changes into the audit log, whichever path made them.

Benchmarks, tracks, splits and phases change through the admin, services and importers; a
post_save / post_delete receiver per model records a snapshot of the row's fields. A save that
changes nothing (an idempotent reload) adds no entry.
"""

from __future__ import annotations

import json
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import post_delete, post_save

DEFINITION_MODELS = (
    "benchmarks.Benchmark",
    "benchmarks.Track",
    "benchmarks.Split",
    "benchmarks.Phase",
    "audit.TrackAuditPolicy",
)
# Bookkeeping columns that change on every save without changing the definition.
IGNORED = {"updated_at", "created_at"}


def snapshot(instance: models.Model) -> dict[str, Any]:
    fields = {
        field.attname: getattr(instance, field.attname)
        for field in instance._meta.concrete_fields
        if field.attname not in IGNORED
    }
    return json.loads(json.dumps(fields, cls=DjangoJSONEncoder))


def _target(instance: models.Model) -> tuple[str, str]:
    return instance._meta.model_name or "", str(instance.pk)


def _last_snapshot(target_type: str, target_id: str) -> dict[str, Any] | None:
    from .models import AuditAction, AuditEntry

    entry = (
        AuditEntry.objects.filter(
            action=AuditAction.DEFINITION_CHANGED, target_type=target_type, target_id=target_id
        )
        .order_by("-seq")
        .only("payload")
        .first()
    )
    return entry.payload.get("fields") if entry else None


def record_saved(
    sender: type[models.Model], instance: models.Model, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw:  # fixtures loading
        return
    from .models import AuditAction
    from .services import audit_append

    target_type, target_id = _target(instance)
    fields = snapshot(instance)
    if not created and _last_snapshot(target_type, target_id) == fields:
        return
    audit_append(
        action=AuditAction.DEFINITION_CHANGED,
        target_type=target_type,
        target_id=target_id,
        payload={"change": "created" if created else "updated", "fields": fields},
    )


def record_deleted(sender: type[models.Model], instance: models.Model, **_: Any) -> None:
    from .models import AuditAction
    from .services import audit_append

    target_type, target_id = _target(instance)
    audit_append(
        action=AuditAction.DEFINITION_CHANGED,
        target_type=target_type,
        target_id=target_id,
        payload={"change": "deleted", "fields": snapshot(instance)},
    )


def connect() -> None:
    for label in DEFINITION_MODELS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(record_saved, sender=model, dispatch_uid=f"audit-save-{label}")
        post_delete.connect(record_deleted, sender=model, dispatch_uid=f"audit-delete-{label}")

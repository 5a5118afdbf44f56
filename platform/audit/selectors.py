"""Reads of the audit log: its published head and the entries, filtered."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from .anchor import Anchor
from .chain import GENESIS_HASH
from .models import AuditChainHead, AuditEntry


def audit_anchor_current() -> Anchor:
    """The chain head as published (exports, the audit log page, /audit/head.json)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is None:
        return Anchor(seq=0, head=GENESIS_HASH)
    return Anchor(seq=head.seq, head=head.last_hash, hmac=head.head_mac)


def audit_entry_list(
    *,
    action: str = "",
    actor: str = "",
    target_type: str = "",
    target_id: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    entries = AuditEntry.objects.order_by("-seq")
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(actor=actor)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    if since:
        entries = entries.filter(at__gte=since)
    if until:
        entries = entries.filter(at__lt=until)
    return entries


def audit_entries_of(*, target_type: str, target_id: object) -> list[AuditEntry]:
    """Every entry about one target, oldest first."""
    return list(
        AuditEntry.objects.filter(target_type=target_type, target_id=str(target_id)).order_by("seq")
    )

"""Writes of the audit log: append an entry, verify the chain, seal its head.

Every app that changes what a reader should believe appends an entry in the same transaction
as its write, so the log and the state never disagree. The errors below are shared by every
audited action (reviewer actions, rerun, disqualify), whatever app takes it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .anchor import Anchor, anchor_mac, anchor_mac_matches
from .chain import GENESIS_HASH, NONCE_KEY, ChainBreak, entry_hash, first_break, new_nonce
from .models import AuditAction, AuditChainHead, AuditEntry


class AuditPermissionDenied(PermissionError):
    """The user may not take this audit action; the message says why."""


class AuditActionRefused(ValueError):
    """The action does not apply in the current state; the message says why."""


def _head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, seq=0, last_hash=GENESIS_HASH)
    except IntegrityError:
        pass  # another writer created it first
    return AuditChainHead.objects.select_for_update().get(pk=1)


def audit_append(
    *,
    action: str,
    target_type: str,
    target_id: object,
    actor: str = "system",
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; the head row lock makes concurrent appends take turns.

    The stored payload gets a fresh random ``nonce`` (audit.chain), so the public head cannot
    be checked against guesses of the entry's fields.
    """
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    if payload and NONCE_KEY in payload:
        raise ValueError(f"the payload key {NONCE_KEY!r} is the audit log's own")
    with transaction.atomic():
        head = _head()
        fields: dict[str, Any] = {
            "seq": head.seq + 1,
            "at": timezone.now(),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "reason": reason,
            "payload": {**(payload or {}), NONCE_KEY: new_nonce()},
            "prev_hash": head.last_hash,
        }
        digest = entry_hash(**fields)
        entry = AuditEntry.objects.create(entry_hash=digest, **fields)
        AuditChainHead.objects.filter(pk=1).update(
            seq=entry.seq, last_hash=digest, head_mac=_head_mac(seq=entry.seq, head=digest)
        )
    return entry


def _head_mac(*, seq: int, head: str) -> str:
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    return anchor_mac(key=key, seq=seq, head=head) if key else ""


def audit_verify_chain(*, batch: int = 2000) -> ChainBreak | None:
    """Walk the whole log from the database; the first broken entry, or None."""
    head = AuditChainHead.objects.filter(pk=1).first()
    entries = AuditEntry.objects.order_by("seq").iterator(chunk_size=batch)
    return first_break(
        entries, head_seq=head.seq if head else 0, head_hash=head.last_hash if head else None
    )


def audit_verify_head_mac() -> str | None:
    """With a key configured: why the stored head's HMAC does not vouch for it, or None.

    A chain rewritten by someone without the key (the database owner included) carries a head
    whose HMAC they could not compute.
    """
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    head = AuditChainHead.objects.filter(pk=1).first()
    if not key or head is None or head.seq == 0:
        return None
    if not head.head_mac:
        return (
            f"the chain head #{head.seq} carries no HMAC: it was written before the key was "
            "set, or the HMAC was removed (check --against your last export, then --seal)"
        )
    if not anchor_mac_matches(Anchor(head.seq, head.last_hash, head.head_mac), key=key):
        return (
            f"the chain head #{head.seq}'s HMAC does not match FORGERYBENCH_AUDIT_HMAC_KEY: "
            "the log was rewritten by someone without the key (or the key changed)"
        )
    return None


def audit_verify_against(anchor: Anchor) -> str | None:
    """Why the log no longer holds a published anchor, or None when entry #seq still matches.

    An anchor from an export names the newest entry at that moment; a rewrite of any entry up
    to it changes that entry's hash (every hash covers the one before it).
    """
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    if key and anchor.hmac and not anchor_mac_matches(anchor, key=key):
        return (
            f"the anchor #{anchor.seq}'s HMAC does not match FORGERYBENCH_AUDIT_HMAC_KEY: "
            "this export was not published by this platform (or the key changed)"
        )
    if anchor.seq == 0:
        return None
    entry = AuditEntry.objects.filter(seq=anchor.seq).only("entry_hash").first()
    if entry is None:
        return f"entry #{anchor.seq} is gone: the log was cut back after the export"
    if entry.entry_hash != anchor.head:
        return (
            f"history rewritten: entry #{anchor.seq} had hash {anchor.head} when exported, "
            f"now {entry.entry_hash} (an entry up to #{anchor.seq} was changed)"
        )
    return None


def audit_seal_head() -> Anchor:
    """Record the head's HMAC under the configured key (after the key is first set or rotated).

    Run it only after the chain was checked against the last published export: it vouches for
    whatever the head is now.
    """
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    if not key:
        raise AuditActionRefused("FORGERYBENCH_AUDIT_HMAC_KEY is not set: nothing to seal with")
    with transaction.atomic():
        head = _head()
        head.head_mac = _head_mac(seq=head.seq, head=head.last_hash)
        head.save(update_fields=["head_mac"])
    return Anchor(head.seq, head.last_hash, head.head_mac)

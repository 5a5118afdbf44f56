"""The hash chain of the audit log: canonical encoding, entry hashes, verification.

An entry's hash is the SHA-256 of a canonical JSON object holding every stored field and the
previous entry's hash, so a changed field, a removed entry or a reordered pair each breaks the
chain at a nameable place. Pure functions: no database access here.

Every entry written since the nonce was introduced carries a random 128-bit value under the
payload's ``nonce`` key (drawn by ``audit_append``), hashed with the rest of the payload: the
chain head is public, and without a secret part an entry whose other fields are mostly known (a
team's own result page shows seq, time, action and actor) could be recovered by trying the few
unknown payload values against the published hash. The nonce is shown wherever the payload is
(reviewers only). Entries written before carry none and hash exactly as they always did.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS_HASH = "0" * 64
NONCE_KEY = "nonce"  # the payload key the log itself fills (writers may not)
NONCE_BYTES = 16  # 128 bits: no brute force of a public head against guessed fields


def new_nonce() -> str:
    """A fresh unguessable value for one entry's payload (32 hex digits)."""
    return secrets.token_hex(NONCE_BYTES)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, NaN refused (JSON has none)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def sha256_json(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def text_sha256(text: str) -> str:
    """SHA-256 of a text's UTF-8 bytes (the pinned model card's digest)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class EntryFields(Protocol):
    seq: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    reason: str
    payload: Any
    prev_hash: str
    entry_hash: str


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    target_type: str,
    target_id: str,
    reason: str,
    payload: Any,
    prev_hash: str,
) -> str:
    return sha256_json(
        {
            "seq": seq,
            "at": timestamp(at),
            "actor": actor,
            "action": action,
            "target": [target_type, target_id],
            "reason": reason,
            "payload": payload,
            "prev": prev_hash,
        }
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"audit log broken at entry #{self.seq}: {self.problem}"


def first_break(
    entries: Iterable[EntryFields], *, head_seq: int | None = None, head_hash: str | None = None
) -> ChainBreak | None:
    """Walk entries in ``seq`` order; return the first one that does not hold, or None.

    ``head_seq`` and ``head_hash`` are what the chain head row says the newest entry is.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in entries:
        if entry.seq != expected_seq:
            return ChainBreak(entry.seq, f"expected entry #{expected_seq} here (a row is missing)")
        if entry.prev_hash != expected_prev:
            return ChainBreak(entry.seq, "its link does not match the previous entry's hash")
        recomputed = entry_hash(
            seq=entry.seq,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            reason=entry.reason,
            payload=entry.payload,
            prev_hash=entry.prev_hash,
        )
        if recomputed != entry.entry_hash:
            return ChainBreak(
                entry.seq, "its contents do not match its hash (edited after writing)"
            )
        expected_prev = entry.entry_hash
        expected_seq += 1
    if head_seq is not None and head_seq != expected_seq - 1:
        return ChainBreak(
            expected_seq, f"the chain head says #{head_seq} is the last entry (entries removed)"
        )
    if head_hash is not None and head_seq and head_hash != expected_prev:
        return ChainBreak(head_seq, "the chain head row names another hash for this entry")
    return None

"""The published head of the audit chain (the anchor) and how it is read back from an export.

The hash chain shows an edit only to someone who still has the true hashes: whoever holds the
database owner's password can rewrite an entry and recompute every later hash, and the chain
verifies again. So the head (``seq`` and ``entry_hash`` of the newest entry) is published in
every leaderboard export and on the audit log page. Anyone who kept an old export can later
check that the entry at that ``seq`` still has that hash (``verify_audit_log --against``).

With ``FORGERYBENCH_AUDIT_HMAC_KEY`` (read from a ``_FILE`` outside the database) the head also
carries an HMAC: the platform records it on every append and publishes it, and a rewritten chain
cannot carry a valid one without the key. Pure functions: no database access here.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from dataclasses import dataclass
from typing import Any

from .chain import canonical_json

# Column names in CSV/JSON leaderboard exports (on every row), and the JSON document's keys.
SEQ_COLUMN = "audit_chain_seq"
HEAD_COLUMN = "audit_chain_head"
HMAC_COLUMN = "audit_chain_hmac"
HEX = frozenset("0123456789abcdef")


class AnchorError(ValueError):
    """An export holds no readable anchor, or two that disagree; the message says which."""


@dataclass(frozen=True)
class Anchor:
    seq: int
    head: str
    hmac: str = ""

    def columns(self) -> dict[str, object]:
        return {SEQ_COLUMN: self.seq, HEAD_COLUMN: self.head, HMAC_COLUMN: self.hmac}

    def __str__(self) -> str:
        keyed = f" hmac {self.hmac}" if self.hmac else ""
        return f"#{self.seq} {self.head}{keyed}"


def anchor_mac(*, key: str, seq: int, head: str) -> str:
    """HMAC-SHA256 of the head, so only a key holder can vouch for one."""
    message = canonical_json({"audit_chain_seq": seq, "audit_chain_head": head})
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def anchor_mac_matches(anchor: Anchor, *, key: str) -> bool:
    expected = anchor_mac(key=key, seq=anchor.seq, head=anchor.head)
    return hmac.compare_digest(expected, anchor.hmac)


def _anchor_from(record: dict[str, Any], where: str) -> Anchor:
    raw_seq, head, mac = record.get(SEQ_COLUMN), record.get(HEAD_COLUMN), record.get(HMAC_COLUMN)
    try:
        seq = int(str(raw_seq).strip())
    except ValueError:
        raise AnchorError(f"{where}: {SEQ_COLUMN} {raw_seq!r} is not a whole number") from None
    head = str(head or "").strip().lower()
    if len(head) != 64 or not set(head) <= HEX:
        raise AnchorError(f"{where}: {HEAD_COLUMN} {head!r} is not a SHA-256 in hex")
    mac = "" if mac is None or str(mac).strip().lower() in ("", "nan", "none") else str(mac)
    if seq < 0:
        raise AnchorError(f"{where}: {SEQ_COLUMN} {seq} is negative")
    return Anchor(seq=seq, head=head, hmac=mac.strip().lower())


def _one(anchors: list[Anchor], name: str) -> Anchor:
    if not anchors:
        raise AnchorError(
            f"{name} holds no audit chain head (no {SEQ_COLUMN}/{HEAD_COLUMN} columns, or no rows)"
        )
    if len(set(anchors)) > 1:
        raise AnchorError(f"{name} holds {len(set(anchors))} different audit chain heads")
    return anchors[0]


def anchor_read(data: bytes, *, name: str = "the export") -> Anchor:
    """The anchor in a leaderboard export (CSV or JSON records), the API's leaderboard JSON
    (its ``audit_chain``) or an anchor document (/audit/head.json)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnchorError(f"{name} is not UTF-8 text") from None
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            document = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise AnchorError(f"{name} is not valid JSON: {exc}") from None
        if isinstance(document, dict) and isinstance(document.get("audit_chain"), dict):
            document = document["audit_chain"]  # the API's leaderboard answer
        records = document if isinstance(document, list) else [document]
        if not all(isinstance(record, dict) for record in records):
            raise AnchorError(f"{name}: expected JSON objects")
        found = [
            _anchor_from(record, f"{name} record {i + 1}")
            for i, record in enumerate(records)
            if SEQ_COLUMN in record or HEAD_COLUMN in record
        ]
        return _one(found, name)
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or SEQ_COLUMN not in reader.fieldnames:
        raise AnchorError(f"{name} is neither JSON nor a CSV with a {SEQ_COLUMN} column")
    return _one([_anchor_from(row, f"{name} line {reader.line_num}") for row in reader], name)

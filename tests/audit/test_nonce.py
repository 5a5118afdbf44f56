"""Every new entry's payload carries a random nonce, hashed with it; entries written before it
(none) still verify, in the same chain; the nonce is shown where the payload is (reviewers)."""

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from audit.anchor import HEAD_COLUMN, SEQ_COLUMN, Anchor
from audit.chain import GENESIS_HASH, entry_hash
from audit.models import AuditAction, AuditChainHead, AuditEntry
from audit.services import audit_append, audit_verify_against, audit_verify_chain

pytestmark = pytest.mark.django_db


def _old_format_entries(n: int) -> list[AuditEntry]:
    """Entries as written before the nonce existed: payloads without one."""
    rows, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "at": datetime(2026, 1, 1, 12, 0, seq, 123456, tzinfo=UTC),
            "actor": "alice",
            "action": AuditAction.COMMENT,
            "target_type": "result",
            "target_id": str(seq),
            "reason": f"old note {seq}",
            "payload": {"i": seq},
            "prev_hash": prev,
        }
        digest = entry_hash(**fields)
        rows.append(AuditEntry.objects.create(entry_hash=digest, **fields))
        prev = digest
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": n, "last_hash": prev})
    return rows


def _new_entries(n: int) -> list[AuditEntry]:
    return [
        audit_append(
            action=AuditAction.COMMENT,
            target_type="result",
            target_id=i,
            actor="bob",
            payload={"i": i},
        )
        for i in range(n)
    ]


def test_each_new_entry_hashes_its_own_random_nonce() -> None:
    entries = _new_entries(3)
    nonces = [e.payload["nonce"] for e in entries]
    assert all(re.fullmatch(r"[0-9a-f]{32}", n) for n in nonces)
    assert len(set(nonces)) == 3
    for i, e in enumerate(entries):
        assert e.payload == {"i": i, "nonce": nonces[i]}
        fields: dict[str, Any] = {
            "seq": e.seq,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "reason": e.reason,
            "prev_hash": e.prev_hash,
        }
        assert entry_hash(**fields, payload=e.payload) == e.entry_hash
        assert entry_hash(**fields, payload={"i": i}) != e.entry_hash


def test_a_writer_may_not_set_the_nonce() -> None:
    with pytest.raises(ValueError, match="'nonce' is the audit log's own"):
        audit_append(
            action=AuditAction.COMMENT, target_type="t", target_id=1, payload={"nonce": "0" * 32}
        )
    assert not AuditEntry.objects.exists()


def test_old_entries_without_a_nonce_and_new_ones_verify_as_one_chain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    old = _old_format_entries(3)
    new = _new_entries(2)
    assert all("nonce" not in e.payload for e in old) and all(e.payload["nonce"] for e in new)
    assert new[0].prev_hash == old[-1].entry_hash and new[0].seq == 4
    assert audit_verify_chain() is None
    call_command("verify_audit_log", "--chain-only")
    assert "audit log intact: 5 entries" in capsys.readouterr().out
    # An anchor taken before the change (on an old entry) and one after both still hold.
    assert audit_verify_against(Anchor(old[-1].seq, old[-1].entry_hash)) is None
    assert audit_verify_against(Anchor(new[-1].seq, new[-1].entry_hash)) is None
    head = Client().get("/audit/head.json").json()
    assert head[SEQ_COLUMN] == 5 and head[HEAD_COLUMN] == new[-1].entry_hash


@pytest.mark.parametrize(
    "edit",
    [
        "payload - 'nonce'",
        "jsonb_set(payload, '{nonce}', '\"00000000000000000000000000000000\"')",
    ],
)
def test_a_removed_or_changed_nonce_breaks_the_chain_at_its_entry(edit: str) -> None:
    _old_format_entries(1)
    _new_entries(3)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"UPDATE audit_auditentry SET payload = {edit} WHERE seq = 3")
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
    broken = audit_verify_chain()
    assert broken is not None and broken.seq == 3 and "contents" in broken.problem


def test_reviewers_see_the_payload_and_its_nonce_in_the_log_browser(reviewer, people) -> None:
    entry = audit_append(
        action=AuditAction.COMMENT,
        target_type="result",
        target_id=7,
        actor="bob",
        payload={"differences": 2, "metrics": ["auc", "ci.auc[1]"]},
    )
    client = Client()
    client.force_login(reviewer)
    page = client.get("/audit/log/").content.decode()
    assert "ci.auc[1]" in page and entry.payload["nonce"] in page
    team = Client()
    team.force_login(people.owner)
    assert team.get("/audit/log/").status_code == 403

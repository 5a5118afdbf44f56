"""The hash chain: appends link up, verification names exactly the entry that was edited."""

import itertools
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from audit.chain import GENESIS_HASH, entry_hash, first_break
from audit.models import AuditAction, AuditEntry
from audit.services import audit_append, audit_verify_chain

pytestmark = pytest.mark.django_db


def _append(n: int) -> list[AuditEntry]:
    return [
        audit_append(
            action=AuditAction.COMMENT,
            target_type="result",
            target_id=i,
            actor="alice",
            reason=f"note {i}",
            payload={"i": i, "value": i / 7},
        )
        for i in range(n)
    ]


def test_entries_link_to_their_predecessor_and_verify() -> None:
    entries = _append(5)
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
        assert after.seq == before.seq + 1
    assert audit_verify_chain() is None


def test_the_database_refuses_update_and_delete() -> None:
    entry = _append(1)[0]
    for statement in (
        "UPDATE audit_auditentry SET reason = 'x' WHERE seq = %s",
        "DELETE FROM audit_auditentry WHERE seq = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [entry.seq])


def _tamper(sql: str, params: list[int | str]) -> None:
    """What someone with the database owner's rights could do: switch the trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def test_a_raw_sql_edit_breaks_verification_at_exactly_that_row() -> None:
    _append(6)
    assert audit_verify_chain() is None
    _tamper(
        "UPDATE audit_auditentry SET payload = jsonb_set(payload, '{value}', '0.99') "
        "WHERE seq = %s",
        [4],
    )
    broken = audit_verify_chain()
    assert broken is not None and broken.seq == 4
    assert "edited after writing" in broken.problem
    with pytest.raises(CommandError, match=r"broken at entry #4:"):
        call_command("verify_audit_log", "--chain-only")


def test_rehashing_an_edited_row_moves_the_break_to_the_next_row() -> None:
    entries = _append(4)
    forged: dict[str, Any] = {
        "seq": 2,
        "at": entries[1].at,
        "actor": "mallory",
        "action": entries[1].action,
        "target_type": "result",
        "target_id": "1",
        "reason": "note 1",
        "payload": entries[1].payload,  # nonce and all
        "prev_hash": entries[1].prev_hash,
    }
    _tamper(
        "UPDATE audit_auditentry SET actor = 'mallory', entry_hash = %s WHERE seq = 2",
        [entry_hash(**forged)],
    )
    broken = audit_verify_chain()
    assert broken is not None and broken.seq == 3
    assert "link" in broken.problem


def test_a_removed_row_or_a_cut_tail_is_named() -> None:
    _append(5)
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [3])
    broken = audit_verify_chain()
    assert broken is not None and broken.seq == 4 and "missing" in broken.problem


def test_a_cut_tail_is_caught_by_the_chain_head() -> None:
    _append(5)
    _tamper("DELETE FROM audit_auditentry WHERE seq = %s", [5])
    broken = audit_verify_chain()
    assert broken is not None and broken.seq == 5 and "removed" in broken.problem


def test_verify_command_reports_an_intact_log(capsys: pytest.CaptureFixture[str]) -> None:
    _append(3)
    call_command("verify_audit_log", "--chain-only")
    assert "audit log intact: 3 entries" in capsys.readouterr().out


def test_unknown_actions_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_append(action="edited_score", target_type="result", target_id=1)


def test_first_break_is_pure_and_checks_order() -> None:
    class Row:
        def __init__(self, seq: int, prev: str) -> None:
            self.seq, self.at, self.actor, self.action = (
                seq,
                datetime(2026, 1, 1, tzinfo=UTC),
                "a",
                "comment",
            )
            self.target_type, self.target_id, self.reason = "x", "1", ""
            self.payload: dict[str, Any] = {}
            self.prev_hash = prev
            self.entry_hash = entry_hash(
                seq=seq,
                at=self.at,
                actor="a",
                action="comment",
                target_type="x",
                target_id="1",
                reason="",
                payload={},
                prev_hash=prev,
            )

    one = Row(1, GENESIS_HASH)
    two = Row(2, one.entry_hash)
    assert first_break([one, two]) is None
    swapped = first_break([two, one])
    assert swapped is not None and swapped.seq == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_extend_one_chain() -> None:
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            for i in range(10):
                audit_append(action=AuditAction.COMMENT, target_type="t", target_id=i, actor=name)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AuditEntry.objects.count() == 40
    assert audit_verify_chain() is None

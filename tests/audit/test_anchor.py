"""The anchored audit log: the chain head is published (exports, the log page, head.json) and an
old copy of it catches a history rewritten consistently by the database owner; so does the
head's HMAC when a key outside the database is configured."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client, override_settings

from accounts.services import team_create
from audit.anchor import (
    HEAD_COLUMN,
    HMAC_COLUMN,
    SEQ_COLUMN,
    Anchor,
    AnchorError,
    anchor_mac,
    anchor_read,
)
from audit.chain import entry_hash
from audit.models import AuditAction, AuditChainHead, AuditEntry
from audit.services import audit_append, audit_verify_chain
from tests.support import finished_result

pytestmark = pytest.mark.django_db

KEY = "a-key-kept-outside-the-database"


def _append(n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        audit_append(
            action=AuditAction.COMMENT,
            target_type="result",
            target_id=i,
            actor="alice",
            reason=f"note {i}",
            payload={"i": i, "verdict": "fine"},
        )


def _rewrite_whole_chain(*, from_seq: int) -> None:
    """What the database owner can do: switch the trigger off, edit an entry, recompute every
    later hash and the chain head, switch the trigger back on. Raw SQL, no platform code."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(
            "UPDATE audit_auditentry SET payload = jsonb_set(payload, '{verdict}', '\"forged\"') "
            "WHERE seq = %s",
            [from_seq],
        )
        rows = list(AuditEntry.objects.filter(seq__gte=from_seq - 1).order_by("seq"))
        prev = rows[0].entry_hash if rows[0].seq < from_seq else None
        for row in rows:
            if row.seq < from_seq:
                continue
            if prev is not None:
                row.prev_hash = prev
            new_hash = entry_hash(
                seq=row.seq,
                at=row.at,
                actor=row.actor,
                action=row.action,
                target_type=row.target_type,
                target_id=row.target_id,
                reason=row.reason,
                payload=row.payload,
                prev_hash=row.prev_hash,
            )
            cursor.execute(
                "UPDATE audit_auditentry SET prev_hash = %s, entry_hash = %s WHERE seq = %s",
                [row.prev_hash, new_hash, row.seq],
            )
            prev = new_hash
        cursor.execute("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [prev])
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def _board_with_one_row(smoke_track) -> None:  # type: ignore[no-untyped-def]
    val = smoke_track.splits.get(name="val")
    finished_result(
        track=smoke_track,
        split=val,
        team=team_create(name="Owls"),
        method="owl",
        metrics={"auc": 0.8},
        primary_value=0.8,
    )


def test_every_leaderboard_export_carries_the_head(smoke_track) -> None:
    _board_with_one_row(smoke_track)
    _append(3)
    head = AuditChainHead.objects.get()
    client = Client()
    exports = {
        "page csv": client.get("/b/smoke-detect/image/val.csv"),
        "page json": client.get("/b/smoke-detect/image/val.json"),
        "api csv": client.get("/api/v1/tracks/smoke-detect/image/leaderboard/export/?format=csv"),
        "api json": client.get("/api/v1/tracks/smoke-detect/image/leaderboard/export/"),
    }
    for name, response in exports.items():
        assert response.status_code == 200, name
        assert response["Audit-Chain-Head"] == f"{head.seq} {head.last_hash}", name
        anchor = anchor_read(response.content, name=name)
        assert (anchor.seq, anchor.head, anchor.hmac) == (head.seq, head.last_hash, ""), name
    board = client.get("/api/v1/tracks/smoke-detect/image/leaderboard/")
    assert board.json()["audit_chain"][HEAD_COLUMN] == head.last_hash
    assert anchor_read(board.content) == Anchor(head.seq, head.last_hash, "")
    frame = pd.read_csv(io.BytesIO(exports["page csv"].content))
    assert list(frame[SEQ_COLUMN]) == [head.seq] and frame.loc[0, "auc"] == pytest.approx(0.8)


def test_the_log_page_and_head_json_publish_the_head(reviewer) -> None:
    _append(2)
    head = AuditChainHead.objects.get()
    published = Client().get("/audit/head.json")  # public: anyone may keep a copy
    assert published.status_code == 200
    assert published.json() == {SEQ_COLUMN: head.seq, HEAD_COLUMN: head.last_hash, HMAC_COLUMN: ""}
    client = Client()
    client.force_login(reviewer)
    page = client.get("/audit/log/").content.decode()
    assert head.last_hash in page and f'id="head-seq">#{head.seq}<' in page


def test_a_consistent_rewrite_passes_the_chain_but_not_an_old_export(tmp_path: Path) -> None:
    _append(5)
    kept = tmp_path / "head.json"
    kept.write_bytes(Client().get("/audit/head.json").content)
    _append(2, start=5)  # the log grows after the export: still consistent with it
    call_command("verify_audit_log", "--chain-only", "--against", str(kept))

    _rewrite_whole_chain(from_seq=3)
    assert AuditEntry.objects.get(seq=3).payload["verdict"] == "forged"
    # The chain alone cannot tell: every hash was recomputed.
    assert audit_verify_chain() is None
    call_command("verify_audit_log", "--chain-only")
    # The published head can.
    with pytest.raises(CommandError, match=r"history rewritten: entry #5 had hash"):
        call_command("verify_audit_log", "--chain-only", "--against", str(kept))


def test_a_cut_back_log_is_caught_by_an_old_export(tmp_path: Path) -> None:
    _append(4)
    kept = tmp_path / "head.json"
    kept.write_bytes(Client().get("/audit/head.json").content)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cursor.execute("DELETE FROM audit_auditentry WHERE seq >= 3")
        cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
        previous = AuditEntry.objects.get(seq=2).entry_hash
        cursor.execute("UPDATE audit_auditchainhead SET seq = 2, last_hash = %s", [previous])
    assert audit_verify_chain() is None
    with pytest.raises(CommandError, match=r"entry #4 is gone"):
        call_command("verify_audit_log", "--chain-only", "--against", str(kept))


@override_settings(FORGERYBENCH_AUDIT_HMAC_KEY=KEY)
def test_with_a_key_the_rewrite_is_caught_without_any_export(tmp_path: Path) -> None:
    _append(5)
    head = AuditChainHead.objects.get()
    assert head.head_mac == anchor_mac(key=KEY, seq=5, head=head.last_hash)
    assert Client().get("/audit/head.json").json()[HMAC_COLUMN] == head.head_mac
    call_command("verify_audit_log", "--chain-only")

    _rewrite_whole_chain(from_seq=2)
    assert audit_verify_chain() is None
    with pytest.raises(CommandError, match=r"HMAC does not match"):
        call_command("verify_audit_log", "--chain-only")
    # Blanking the HMAC does not help either.
    AuditChainHead.objects.update(head_mac="")
    with pytest.raises(CommandError, match=r"carries no HMAC"):
        call_command("verify_audit_log", "--chain-only")


@override_settings(FORGERYBENCH_AUDIT_HMAC_KEY=KEY)
def test_a_forged_export_is_refused_when_keyed(tmp_path: Path) -> None:
    _append(2)
    head = AuditChainHead.objects.get()
    forged = tmp_path / "forged.json"
    forged.write_text(
        json.dumps({SEQ_COLUMN: 2, HEAD_COLUMN: head.last_hash, HMAC_COLUMN: "0" * 64})
    )
    with pytest.raises(CommandError, match=r"not published by this platform"):
        call_command("verify_audit_log", "--chain-only", "--against", str(forged))


def test_a_key_set_later_needs_a_seal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _append(2)
    with override_settings(FORGERYBENCH_AUDIT_HMAC_KEY=KEY):
        with pytest.raises(CommandError, match=r"carries no HMAC"):
            call_command("verify_audit_log", "--chain-only")
        call_command("verify_audit_log", "--chain-only", "--seal")
        call_command("verify_audit_log", "--chain-only")
    assert "matches the configured key" in capsys.readouterr().out


def test_unreadable_exports_get_a_named_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("rank,team\n")
    with pytest.raises(CommandError, match=r"neither JSON nor a CSV"):
        call_command("verify_audit_log", "--chain-only", "--against", str(empty))
    with pytest.raises(CommandError, match=r"cannot read"):
        call_command("verify_audit_log", "--against", str(tmp_path / "missing.csv"))


def test_anchor_read_accepts_exports_and_refuses_disagreement() -> None:
    head = "ab" * 32
    csv_text = f"rank,{SEQ_COLUMN},{HEAD_COLUMN},{HMAC_COLUMN}\n1,7,{head},\n2,7,{head},\n"
    assert anchor_read(csv_text.encode()) == Anchor(7, head, "")
    records = [{SEQ_COLUMN: 7, HEAD_COLUMN: head, HMAC_COLUMN: None}]
    assert anchor_read(json.dumps(records).encode()) == Anchor(7, head, "")
    with pytest.raises(AnchorError, match="2 different"):
        anchor_read(json.dumps([*records, {SEQ_COLUMN: 8, HEAD_COLUMN: head}]).encode())
    with pytest.raises(AnchorError, match="not a SHA-256"):
        anchor_read(json.dumps({SEQ_COLUMN: 1, HEAD_COLUMN: "zz"}).encode())
    with pytest.raises(AnchorError, match="no audit chain head"):
        anchor_read(b"[]")
    with pytest.raises(AnchorError, match="not UTF-8"):
        anchor_read(b"\xff\xfe\x00")


@pytest.mark.django_db(transaction=True)
def test_the_key_is_read_from_a_file_outside_the_database(tmp_path: Path) -> None:
    """The deployed path: FORGERYBENCH_AUDIT_HMAC_KEY_FILE, read by a separate process."""
    with override_settings(FORGERYBENCH_AUDIT_HMAC_KEY=KEY):
        _append(3)
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )

    def verify(key: str) -> subprocess.CompletedProcess[str]:
        key_file = tmp_path / "audit_hmac_key"
        key_file.write_text(key + "\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("FORGERYBENCH_AUDIT")}
        env.update(DATABASE_URL=url, FORGERYBENCH_AUDIT_HMAC_KEY_FILE=str(key_file))
        return subprocess.run(
            [sys.executable, "manage.py", "verify_audit_log", "--chain-only"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    right = verify(KEY)
    assert right.returncode == 0, right.stderr
    assert "matches the configured key" in right.stdout
    wrong = verify("another-key")
    assert wrong.returncode == 1 and "HMAC does not match" in wrong.stderr

"""`manage.py backfill_provenance`: records for results scored before provenance existed."""

import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.models import AuditAction, AuditEntry
from audit.services import audit_verify_chain
from submissions.backfill import NEVER_RECORDED
from submissions.models import Provenance, Result
from submissions.selectors import result_filter_shown

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _run(*args: str) -> str:
    out = StringIO()
    call_command("backfill_provenance", *args, stdout=out)
    return out.getvalue()


def test_backfill_writes_incomplete_records_that_never_show(score, baseline_image) -> None:
    submission = score(baseline_image("sanity"))
    original = {
        p.result.split.name: p.predictions_sha256
        for p in Provenance.objects.filter(result__submission=submission).select_related(
            "result__split"
        )
    }
    # As if scored before provenance existed; and the test split's artifacts are gone.
    Provenance.objects.filter(result__submission=submission).delete()
    test_run = submission.runs.get(split__name="test")
    shutil.rmtree(Path(test_run.artifacts_dir))
    assert "would backfill 3 result(s)" in _run("--dry-run")  # debug, val, test
    assert not Provenance.objects.exists()

    out = _run()
    assert "backfilled 3 result(s)" in out
    by_split = {
        p.result.split.name: p
        for p in Provenance.objects.filter(result__submission=submission).select_related(
            "result__split"
        )
    }
    val, test = by_split["val"], by_split["test"]
    for p in (val, test):
        assert not p.complete
        assert NEVER_RECORDED in p.missing and "worker_host" in p.missing
        assert "step_times.score_started" in p.missing
        assert p.image_id == submission.image_id and p.labels_sha256 == p.split.labels_sha256
        assert p.runtime_flags["network_mode"] == "none"  # from the run record
    # Predictions still on disk are stored again, byte for byte the archive scoring wrote.
    assert val.predictions_sha256 == original["val"]
    assert test.predictions_sha256 == "" and any("predictions" in m for m in test.missing)
    # Still never shown on a leaderboard.
    assert not result_filter_shown(results=Result.objects.filter(submission=submission)).exists()
    entries = AuditEntry.objects.filter(action=AuditAction.PROVENANCE_BACKFILLED)
    assert sorted(int(e.target_id) for e in entries) == sorted(
        by_split[s].result_id for s in by_split
    )
    assert all(e.payload["missing"] for e in entries)
    assert audit_verify_chain() is None
    # Idempotent: nothing left to do.
    assert "every result has a provenance record" in _run()
    assert entries.count() == 3

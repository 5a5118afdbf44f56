"""Rescoring from stored predictions: identical numbers, named differences, candidate moves."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit.models import AuditAction, AuditEntry
from review.models import RescoreReport
from review.rescoring import compare_reports, result_rescore
from submissions.models import Provenance
from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]


def test_compare_reports_lists_each_differing_number() -> None:
    stored = {"auc": 0.75, "ci": {"auc": [0.6, 0.9]}, "n": {"samples": 10}, "acc": 1}
    assert (
        compare_reports(
            stored, {"auc": 0.75, "ci": {"auc": [0.6, 0.9]}, "n": {"samples": 10}, "acc": 1.0}
        )
        == []
    )
    diffs = compare_reports(
        stored, {"auc": 0.7500001, "ci": {"auc": [0.6, 0.91]}, "n": {"samples": 10}}
    )
    assert [d["metric"] for d in diffs] == ["acc", "auc", "ci.auc[1]"]
    assert diffs[1] == {"metric": "auc", "stored": 0.75, "recomputed": 0.7500001}


def test_rescore_all_is_identical_and_a_candidate_evaluator_shows_what_moves(
    score, baseline_image, people, tmp_path, capsys
) -> None:
    from accounts.services import team_create

    good = score(baseline_image("highfreq"), method="highfreq")
    chance = score(baseline_image("sanity"), team=team_create(name="Chance"), method="sanity")
    call_command("rescore", "--all")
    out = capsys.readouterr().out
    assert "all 6 Results recomputed identically" in out  # debug, val, test each
    assert RescoreReport.objects.filter(matches=True).count() == 6
    assert AuditEntry.objects.filter(action=AuditAction.RESCORED).count() == 6

    # A candidate evaluator that reports 1 - AUC: every AUC cell moves, ranks swap.
    candidate = tmp_path / "candidate"
    shutil.copytree(
        ROOT / "evaluator", candidate / "evaluator", ignore=shutil.ignore_patterns("__pycache__")
    )
    scoring = candidate / "evaluator" / "scoring.py"
    text = scoring.read_text()
    assert "    metrics = table.compute_all()\n" in text
    scoring.write_text(
        text.replace(
            "    metrics = table.compute_all()\n",
            "    metrics = table.compute_all()\n    metrics['auc'] = 1 - metrics['auc']\n",
        )
    )
    call_command("rescore", str(good.pk), str(chance.pk), "--candidate", str(candidate))
    out = capsys.readouterr().out
    assert "4 leaderboard cells would move" in out
    assert "rank 1 -> 2" in out and "rank 2 -> 1" in out
    # The preview recorded nothing and changed no Result.
    assert RescoreReport.objects.count() == 6


def test_an_edited_score_or_changed_predictions_are_found(score, baseline_image, capsys) -> None:
    submission = score(baseline_image("highfreq"))
    result = results_of(submission).val
    assert result_rescore(result=result, actor="reviewer").matches
    stored_auc = result.metrics["auc"]
    # Someone edits a score in place, behind the platform's back.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE submissions_result SET metrics = jsonb_set(metrics, '{auc}', '0.999') "
            "WHERE id = %s",
            [result.pk],
        )
    result.refresh_from_db()
    report = result_rescore(result=result, actor="reviewer")
    assert not report.matches
    assert report.differences == [{"metric": "auc", "stored": 0.999, "recomputed": stored_auc}]
    with pytest.raises(CommandError, match="1 of 3 Results differ"):
        call_command("rescore", str(submission.pk))
    out = capsys.readouterr().out
    assert f"result {result.pk}" in out and "auc: stored 0.999" in out
    with pytest.raises(CommandError, match="1 Results do not match the log"):
        call_command("verify_audit_log")
    assert (
        f"result {result.pk}: its metrics differ from those pinned by entry #"
        in capsys.readouterr().out
    )

    # Stored predictions changed after scoring: named, never silently rescored.
    test_result = results_of(submission).test
    archive = Path(Provenance.objects.get(result=test_result).predictions_path)
    archive.write_bytes(archive.read_bytes() + b"\0")
    report = result_rescore(result=test_result)
    assert not report.matches and "changed since scoring" in report.error

"""The audit page follows the disclosure policy: before publication the team reads no number
of its hidden result (no metric, no digest of them, no exact exit code or step time, no audit
test value, of a rescore only whether it matched), so a container cannot turn the page into a
channel for the hidden labels; after publication no other team reads the team's per-sample
outputs. Reviewers keep everything."""

import json
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.utils.html import escape

from audit.chain import sha256_json
from benchmarks.services import split_publish_results
from review.models import AuditTestReport, TrackAuditPolicy
from review.rescoring import result_rescore
from submissions.models import Provenance
from tests.agents import audit_tests_here
from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

ROW = re.compile(r"<tr><th>([^<]+)</th><td class=\"num\">([^<]+)</td>")
K = 8  # labels the probe image encodes in its Brier score


def _page(user, result) -> str:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    response = client.get(f"/audit/results/{result.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _audited_test_result(score, image: str, track):  # type: ignore[no-untyped-def]
    """``image`` scored on the smoke track, its hidden result audit-tested (six samples)."""
    TrackAuditPolicy.objects.create(track=track, subset_size=6, tolerance=1e-6)
    test = results_of(score(image)).test
    audit_tests_here(result=test, seed=11)
    return test


def _hidden_numbers(result) -> list[str]:  # type: ignore[no-untyped-def]
    """Strings that would give away the stored numbers or the run's exact timing."""
    prov = Provenance.objects.get(result=result)
    shown = [sha256_json(result.metrics), prov.metrics_sha256]
    shown += [str(at) for at in prov.step_times.values() if at]
    shown += [f"exit code {prov.exit_code}"]
    return shown


def test_team_reads_no_number_of_its_withheld_hidden_result(
    score, baseline_image, smoke_track, people, reviewer
) -> None:
    test = _audited_test_result(score, baseline_image("highfreq"), smoke_track)
    assert not test.split.results_visible
    report = AuditTestReport.objects.filter(result=test).first()
    assert report is not None and report.summary

    owner = _page(people.owner, test)
    assert "metrics-withheld" in owner
    assert not ROW.findall(owner)
    for secret in _hidden_numbers(test):
        assert secret not in owner, secret
    assert report.summary not in owner

    full = _page(reviewer, test)
    assert ROW.findall(full)
    for secret in _hidden_numbers(test):
        assert secret in full, secret
    assert report.summary in full


def test_brier_probe_decodes_no_label_from_the_teams_page(score, test_image, people) -> None:
    sub = score(test_image("brier-probe"))
    test = results_of(sub).test
    assert not test.split.results_visible
    body = _page(people.owner, test)
    assert "brier" not in dict(ROW.findall(body))
    brier = float(test.metrics["brier"])
    assert f"{brier:.4f}" not in body and f"{brier:.3f}" not in body
    # The probe works where the number is shown: the page must be what stops it.
    n = test.split.sample_count
    d = [0.25 / 2**j for j in range(K)]
    rest = brier * n - 0.25 * n - sum(x * x for x in d)
    guess = []
    for x in d:
        sign = 1 if rest >= 0 else -1
        guess.append(0 if sign == 1 else 1)
        rest -= sign * x
    truth = {
        json.loads(line)["id"]: json.loads(line)["label"]
        for line in Path(test.split.labels_path).read_text().splitlines()
    }
    assert guess == [truth[i] for i in sorted(truth)[:K]]


def test_other_teams_read_no_per_sample_output_after_publication(
    score, baseline_image, smoke_track, people, reviewer
) -> None:
    test = _audited_test_result(score, baseline_image("sanity"), smoke_track)
    split_publish_results(split=test.split, published=True, actor="organizer")
    moved = [m for r in AuditTestReport.objects.filter(result=test) for m in r.moved]
    assert moved, "the sanity baseline moves under the audit tests"
    sample = re.compile(r"<td><code>([0-9a-f]{12})</code>.*?<td>stored ([0-9.e-]+)</td>")

    outsider = _page(people.outsider, test)
    assert ROW.findall(outsider), "published: the numbers are shown"
    assert not sample.findall(outsider)
    assert all(m["id"] not in outsider for m in moved)

    assert sample.findall(_page(reviewer, test))
    assert sample.findall(_page(people.owner, test))


def test_team_reads_only_the_state_of_a_rescore_until_disclosure(
    score, baseline_image, people, reviewer
) -> None:
    test = results_of(score(baseline_image("highfreq"))).test
    assert not test.split.results_visible
    # A score edited behind the platform's back: the rescore names the metric that differs.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE submissions_result SET metrics = jsonb_set(metrics, '{auc}', '0.999') "
            "WHERE id = %s",
            [test.pk],
        )
    test.refresh_from_db()
    differ = result_rescore(result=test, actor="reviewer")
    assert [d["metric"] for d in differ.differences] == ["auc"]
    # Stored predictions changed since scoring: the rescore fails with the platform's words.
    archive = Path(Provenance.objects.get(result=test).predictions_path)
    archive.write_bytes(archive.read_bytes() + b"\0")
    failed = result_rescore(result=test, actor="reviewer")
    assert "changed since scoring" in failed.error
    count, error = "1 differ", escape(failed.error)

    owner = _page(people.owner, test)
    assert count not in owner and error not in owner and "changed since scoring" not in owner
    assert 'id="rescores"' in owner and owner.count('class="rescore-under-review"') == 2
    assert "<code>auc</code>" not in owner

    for user in (reviewer, people.organizer):
        full = _page(user, test)
        assert count in full and error in full and "<code>auc</code>" in full
        assert "rescore-under-review" not in full

    split_publish_results(split=test.split, published=True, actor="organizer")
    owner = _page(people.owner, test)
    assert count in owner and error in owner and "<code>auc</code>" in owner
    assert "rescore-under-review" not in owner

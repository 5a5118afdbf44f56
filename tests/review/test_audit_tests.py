"""Audit tests through the real runner: honest models pass, cheats are caught."""

import random

import pytest
from django.test import Client

from audit.models import AuditAction, AuditEntry
from review.audit_tests import plan_disguised
from review.models import AuditTestReport, TrackAuditPolicy
from tests.agents import audit_tests_here
from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

PASSED, FAILED = AuditTestReport.Outcome.PASSED, AuditTestReport.Outcome.FAILED


def test_disguised_plan_renames_shuffles_and_duplicates() -> None:
    subset = [{"id": f"s{i}", "path": f"images/s{i}.png"} for i in range(5)]
    plan = plan_disguised(subset, random.Random(3))
    assert len(plan.manifest) == 10 and sorted(plan.back.values()) == sorted(
        ["s0", "s1", "s2", "s3", "s4"] * 2
    )
    assert not {item["id"] for item in plan.manifest} & {item["id"] for item in subset}
    assert all(
        item["path"].startswith("data/") and item["path"].endswith(".png") for item in plan.manifest
    )
    assert [plan.back[item["id"]] for item in plan.manifest] != [s["id"] for s in subset] * 2


@pytest.fixture
def small_policy(smoke_track):  # type: ignore[no-untyped-def]
    return TrackAuditPolicy.objects.create(track=smoke_track, subset_size=6, tolerance=1e-6)


def test_a_pixel_model_passes_both_tests_and_the_page_shows_the_reports(
    score, baseline_image, small_policy, reviewer
) -> None:
    result = results_of(score(baseline_image("highfreq"))).test
    reports = audit_tests_here(result=result, actor="reviewer", seed=7)
    assert [(r.kind, r.outcome) for r in reports] == [("determinism", PASSED), ("no_cues", PASSED)]
    assert all(len(r.subset) == 6 and r.seed == 7 and r.moved == [] for r in reports)
    assert "12 of 12 outputs" in reports[1].summary
    assert AuditEntry.objects.filter(action=AuditAction.AUDIT_TESTS).count() == 2
    client = Client()
    client.force_login(reviewer)
    body = client.get(f"/audit/results/{result.pk}/").content.decode()
    assert 'id="audit-tests"' in body and body.count('class="audit-passed"') == 2


def test_a_model_that_reads_ids_fails_no_cues(score, baseline_image, small_policy) -> None:
    # The sanity baseline scores a hash of the sample id: deterministic, but not from pixels.
    result = results_of(score(baseline_image("sanity"))).test
    determinism, no_cues = audit_tests_here(result=result, seed=11)
    assert determinism.outcome == PASSED
    assert no_cues.outcome == FAILED
    assert len(no_cues.moved) == 12  # every sample, under both of its new names
    assert {m["id"] for m in no_cues.moved} == set(no_cues.subset)
    assert all(m["as"] and m["as"] != m["id"] for m in no_cues.moved)


def test_a_nondeterministic_model_fails_determinism(score, test_image, small_policy) -> None:
    result = results_of(score(test_image("jitter"))).val
    (determinism,) = audit_tests_here(result=result, kinds=("determinism",), seed=5)
    assert determinism.outcome == FAILED and len(determinism.moved) == 6
    assert all(m["delta"] > 1e-6 for m in determinism.moved)


def test_the_button_is_for_reviewers(score, baseline_image, people, reviewer) -> None:
    result = results_of(score(baseline_image("sanity"))).val
    owner = Client()
    owner.force_login(people.owner)
    assert owner.post(f"/audit/results/{result.pk}/audit-tests/").status_code == 403
    client = Client()
    client.force_login(reviewer)
    response = client.post(f"/audit/results/{result.pk}/audit-tests/", follow=True)
    assert "Audit tests queued" in response.content.decode()

"""Shared by the audit-test tests of each task: a scored hidden result of a given track, and
the check every task makes (an honest model passes both tests, an id reader fails no_cues)."""

from __future__ import annotations

from benchmarks.models import Track
from review.models import AuditTestReport
from submissions.models import Result, Status
from submissions.pipeline import submission_score
from submissions.services import submission_create_from_image
from tests.agents import audit_tests_here, submission_run_here

PASSED, FAILED = AuditTestReport.Outcome.PASSED, AuditTestReport.Outcome.FAILED


def scored_test_result(people, track: Track, image: str) -> Result:  # type: ignore[no-untyped-def]
    """Submit ``image`` for the owner's team on ``track``, run and score it here (real
    Docker); its Result on the hidden ``test`` split."""
    submission = submission_create_from_image(
        team=people.team,
        track=track,
        user=people.owner,
        image_reference=image,
        method_name=image,
        training_data="other: nothing",
    )
    submission_run_here(submission_id=submission.pk)
    submission_score(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED, submission.failure_reason
    return Result.objects.get(submission=submission, split__name="test")


def honest_passes_cheat_fails(  # type: ignore[no-untyped-def]
    people, track: Track, *, honest: str, cheat: str, seed: int
) -> tuple[list[AuditTestReport], AuditTestReport]:
    """Both audit tests on ``honest``'s and ``cheat``'s scored results: the honest model
    passes both; the cheat (it reads the sample ids) passes determinism and fails no_cues.
    Returns the honest reports and the cheat's no_cues report for the task's own checks."""
    reports = audit_tests_here(result=scored_test_result(people, track, honest), seed=seed)
    assert [(r.kind, r.outcome) for r in reports] == [("determinism", PASSED), ("no_cues", PASSED)]
    determinism, no_cues = audit_tests_here(
        result=scored_test_result(people, track, cheat), seed=seed
    )
    assert determinism.outcome == PASSED
    assert no_cues.outcome == FAILED and no_cues.moved
    return reports, no_cues

"""Reads of the review app: who may see what of a Result's audit record, and the record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from accounts.models import Team
from accounts.roles import user_is_reviewer
from audit.chain import sha256_json
from audit.models import AuditAction, AuditEntry
from audit.selectors import audit_entries_of
from submissions.disclosure import result_is_disclosed, result_visible_to
from submissions.models import Provenance, Result, ResultReview, Status
from submissions.selectors import result_filter_shown

from .models import AuditTestReport, Comment, Objection, RescoreReport, TrackAuditPolicy


def result_get(*, result_id: int) -> Result:
    return Result.objects.select_related(
        "split", "split__track", "split__track__benchmark", "submission", "submission__team"
    ).get(pk=result_id)


def _is_member(user: User | AnonymousUser, team: Team) -> bool:
    return user.is_authenticated and team.memberships.filter(user=user).exists()


def result_can_view_audit(*, result: Result, user: User | AnonymousUser) -> bool:
    """Reviewers and the owning team always; other signed-in users once the result is public."""
    if user_is_reviewer(user) or _is_member(user, result.submission.team):
        return True
    return user.is_authenticated and result_is_disclosed(result=result)


def result_can_see_numbers(*, result: Result, user: User | AnonymousUser) -> bool:
    """Reviewers and organizers always; the team and others once the result is disclosed
    (a hidden split's numbers wait for a publication moment, protocol §5)."""
    return user_is_reviewer(user) or result_visible_to(result=result, user=user)


def result_can_see_run_detail(*, result: Result, user: User | AnonymousUser) -> bool:
    """A run's exact exit code and step times: reviewers always; others on public splits
    only (a hidden run tells the team only the banded summary of submissions.run_disclosure,
    published or not: an exit code or a duration chosen by the container carries labels)."""
    return user_is_reviewer(user) or result.split.visibility == result.split.Visibility.PUBLIC


def result_can_see_sample_outputs(*, result: Result, user: User | AnonymousUser) -> bool:
    """Per-sample outputs (the audit tests' moved samples): reviewers, and the owning team
    once the result's numbers are shown to it; never another team."""
    if user_is_reviewer(user):
        return True
    return _is_member(user, result.submission.team) and result_can_see_numbers(
        result=result, user=user
    )


def runtime_flags_public(flags: dict[str, Any]) -> dict[str, Any]:
    """The run's flags without the host's folders: each mount shows only where it appears
    inside the container (the data folder's layout is the platform's, not the team's)."""
    shown = dict(flags)
    volumes = shown.get("volumes")
    if isinstance(volumes, dict):
        shown["volumes"] = [
            f"{bind.get('bind', '?')} ({bind.get('mode', '?')})"
            for bind in volumes.values()
            if isinstance(bind, dict)
        ]
    return shown


def result_can_download_predictions(*, result: Result, user: User | AnonymousUser) -> bool:
    """Reviewers and organizers: any split. A team: its own results on public splits only."""
    if user_is_reviewer(user):
        return True
    public = result.split.visibility == result.split.Visibility.PUBLIC
    return public and _is_member(user, result.submission.team)


def result_can_comment(*, result: Result, user: User | AnonymousUser) -> bool:
    if user_is_reviewer(user) or _is_member(user, result.submission.team):
        return True
    # A team that objected to the result takes part in its discussion.
    return (
        user.is_authenticated
        and Objection.objects.filter(result=result, team__memberships__user=user).exists()
    )


def teams_that_may_object(*, result: Result, user: User | AnonymousUser) -> list[Team]:
    if not user.is_authenticated or not result_is_disclosed(result=result):
        return []
    return list(
        Team.objects.filter(memberships__user=user)
        .exclude(pk=result.submission.team_id)
        .order_by("name")
    )


def audit_policy_for(*, track_id: int) -> TrackAuditPolicy:
    """The track's audit-test settings, or the defaults (an unsaved row)."""
    policy = TrackAuditPolicy.objects.filter(track_id=track_id).first()
    return policy or TrackAuditPolicy(track_id=track_id)


@dataclass(frozen=True)
class ResultAudit:
    result: Result
    provenance: Provenance | None
    review: ResultReview | None
    rescores: list[RescoreReport]
    audit_tests: list[AuditTestReport]
    objections: list[Objection]
    comments: list[Comment]
    entries: list[AuditEntry]
    logged_metrics_sha256: str | None
    current_metrics_sha256: str

    @property
    def metrics_match_log(self) -> bool:
        return self.logged_metrics_sha256 == self.current_metrics_sha256


def result_audit(*, result: Result) -> ResultAudit:
    entries = audit_entries_of(target_type="result", target_id=result.pk)
    written = next((e for e in entries if e.action == AuditAction.RESULT_WRITTEN), None)
    return ResultAudit(
        result=result,
        provenance=Provenance.objects.filter(result=result).first(),
        review=ResultReview.objects.filter(result=result).first(),
        rescores=list(RescoreReport.objects.filter(result=result)[:20]),
        audit_tests=list(AuditTestReport.objects.filter(result=result)[:20]),
        objections=list(Objection.objects.filter(result=result).select_related("team")),
        comments=list(Comment.objects.filter(result=result).select_related("author")),
        entries=entries,
        logged_metrics_sha256=written.payload.get("metrics_sha256") if written else None,
        current_metrics_sha256=sha256_json(result.metrics),
    )


def results_for_rescore(*, submission_ids: list[int] | None = None) -> QuerySet[Result]:
    results = Result.objects.select_related("split", "submission", "submission__team").order_by(
        "pk"
    )
    if submission_ids is not None:
        results = results.filter(submission_id__in=submission_ids)
    return results


def results_for_moves(*, split_id: int) -> list[Result]:
    return list(
        result_filter_shown(
            results=Result.objects.filter(split_id=split_id, submission__status=Status.FINISHED)
        )
        .select_related("submission", "submission__team", "split")
        .order_by("pk")
    )


def results_logged_mismatch(**_: Any) -> list[str]:
    """Results whose stored numbers differ from what the log pinned when they were written.

    A receiver of ``audit.signals.log_verifying`` (``verify_audit_log``): one line each."""
    pinned = {
        entry.target_id: entry
        for entry in AuditEntry.objects.filter(action=AuditAction.RESULT_WRITTEN).only(
            "seq", "target_id", "payload"
        )
    }
    problems = []
    for result in Result.objects.only("pk", "metrics").order_by("pk").iterator(chunk_size=500):
        entry = pinned.get(str(result.pk))
        if entry is None:
            problems.append(f"result {result.pk}: no result_written entry in the log")
        elif entry.payload.get("metrics_sha256") != sha256_json(result.metrics):
            problems.append(
                f"result {result.pk}: its metrics differ from those pinned by entry #{entry.seq}"
            )
    return problems

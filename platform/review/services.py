"""Writes of the review app: reviewers, verification status, objections and their thread,
and the request for a Result's audit tests.

Every write that changes what a reader of a result should believe appends an audit entry in
the same transaction, so the log and the state never disagree.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team
from accounts.roles import reviewer_group, user_is_reviewer
from audit.actors import actor_name
from audit.models import AuditAction
from audit.services import AuditActionRefused, AuditPermissionDenied, audit_append
from benchmarks.services import track_results_changed
from submissions.identity import identity_results_on_split, result_remove_following
from submissions.models import Result, ResultReview, VerificationStatus

from .models import Comment, Objection
from .signals import objection_raised
from .tasks import run_audit_tests

__all__ = [
    "AuditActionRefused",
    "AuditPermissionDenied",
    "audit_tests_request",
    "comment_add",
    "objection_raise",
    "objection_resolve",
    "result_set_status",
    "reviewer_add",
]


def reviewer_add(*, user: User, by: User | None = None) -> None:
    with transaction.atomic():
        user.groups.add(reviewer_group())
        audit_append(
            action=AuditAction.REVIEWER_ADDED,
            target_type="user",
            target_id=user.get_username(),
            actor=actor_name(by),
        )


def _require_reviewer(user: User) -> None:
    if not user_is_reviewer(user):
        raise AuditPermissionDenied(gettext("only reviewers and organizers may do this"))


_STATUS_ACTION = {
    VerificationStatus.VERIFIED: AuditAction.VERIFIED,
    VerificationStatus.FLAGGED: AuditAction.FLAGGED,
    VerificationStatus.UNVERIFIED: AuditAction.UNVERIFIED,
    VerificationStatus.REMOVED: AuditAction.DISQUALIFIED,
}


def result_set_status(*, result: Result, status: str, user: User, reason: str = "") -> ResultReview:
    """A reviewer's verdict. Flagging or removing needs a reason; the log records each change."""
    _require_reviewer(user)
    if status not in VerificationStatus.values:
        raise AuditActionRefused(
            gettext("unknown verification status %(status)r") % {"status": status}
        )
    if status in (VerificationStatus.FLAGGED, VerificationStatus.REMOVED) and not reason.strip():
        raise AuditActionRefused(
            gettext("marking a result %(status)s needs a reason") % {"status": status}
        )
    if status == VerificationStatus.VERIFIED:
        provenance = getattr(result, "provenance", None)
        if provenance is None or not provenance.complete:
            raise AuditActionRefused(
                gettext("a result with incomplete provenance cannot be verified")
            )
    with transaction.atomic():
        review, _ = ResultReview.objects.select_for_update().get_or_create(result=result)
        previous = review.status
        if previous == status:
            raise AuditActionRefused(
                gettext("the result is already %(status)s") % {"status": status}
            )
        ResultReview.objects.filter(pk=review.pk, status=previous).update(
            status=status,
            reason=reason.strip(),
            changed_by=actor_name(user),
            changed_at=timezone.now(),
        )
        audit_append(
            action=_STATUS_ACTION[VerificationStatus(status)],
            target_type="result",
            target_id=result.pk,
            actor=actor_name(user),
            reason=reason.strip(),
            payload={"from": previous, "to": status},
        )
        if status == VerificationStatus.REMOVED:
            # A removal holds for the same split's result of every run of the identity.
            for other in identity_results_on_split(result=result):
                result_remove_following(
                    result=other, removed_id=result.pk, actor=actor_name(user), why=reason.strip()
                )
        review.refresh_from_db()
    # Leaderboards show verification status and hide removed results.
    track_results_changed(track=result.split.track)
    return review


def comment_add(*, result: Result, user: User, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise AuditActionRefused(gettext("a comment cannot be empty"))
    with transaction.atomic():
        comment = Comment.objects.create(result=result, author=user, body=body)
        audit_append(
            action=AuditAction.COMMENT,
            target_type="result",
            target_id=result.pk,
            actor=actor_name(user),
            payload={"comment": comment.pk, "body_sha256": _sha(body)},
        )
    return comment


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def objection_raise(
    *, result: Result, team: Team, user: User, rule: str, evidence: str
) -> Objection:
    """Any team may object to another team's result, citing the rule and the evidence."""
    if not team.memberships.filter(user=user).exists():
        raise AuditPermissionDenied(gettext("you are not a member of %(team)s") % {"team": team})
    if result.submission.team_id == team.pk:
        raise AuditActionRefused(gettext("a team cannot object to its own result"))
    if not rule.strip() or not evidence.strip():
        raise AuditActionRefused(
            gettext("an objection must cite a protocol rule and give evidence")
        )
    with transaction.atomic():
        objection = Objection.objects.create(
            result=result,
            team=team,
            raised_by=actor_name(user),
            rule=rule.strip(),
            evidence=evidence.strip(),
        )
        audit_append(
            action=AuditAction.OBJECTION_RAISED,
            target_type="result",
            target_id=result.pk,
            actor=actor_name(user),
            reason=objection.rule,
            payload={
                "objection": objection.pk,
                "team": team.slug,
                "evidence_sha256": _sha(objection.evidence),
            },
        )
        objection_raised.send_robust(sender=Objection, objection=objection)
    return objection


def objection_resolve(
    *, objection: Objection, user: User, upheld: bool, resolution: str, remove: bool = False
) -> Objection:
    """Upheld: the result is flagged (or removed); rejected: it stays as it is. Both are logged."""
    _require_reviewer(user)
    if not resolution.strip():
        raise AuditActionRefused(gettext("a resolution needs a written reason"))
    status = Objection.Status.UPHELD if upheld else Objection.Status.REJECTED
    with transaction.atomic():
        moved = Objection.objects.filter(pk=objection.pk, status=Objection.Status.OPEN).update(
            status=status,
            resolution=resolution.strip(),
            resolved_by=actor_name(user),
            resolved_at=timezone.now(),
        )
        if not moved:
            raise AuditActionRefused(gettext("this objection is already resolved"))
        audit_append(
            action=AuditAction.OBJECTION_UPHELD if upheld else AuditAction.OBJECTION_REJECTED,
            target_type="result",
            target_id=objection.result_id,
            actor=actor_name(user),
            reason=resolution.strip(),
            payload={"objection": objection.pk},
        )
        if upheld:
            verdict = VerificationStatus.REMOVED if remove else VerificationStatus.FLAGGED
            review = ResultReview.objects.filter(result_id=objection.result_id).first()
            if review is None or review.status != verdict:
                result_set_status(
                    result=objection.result,
                    status=verdict,
                    user=user,
                    reason=f"objection #{objection.pk} upheld: {resolution.strip()}",
                )
    objection.refresh_from_db()
    return objection


def audit_tests_request(*, result: Result, user: User) -> None:
    """Queue the audit tests of a Result once this transaction commits (a Django worker plans
    the reruns; run agents carry them out as run jobs)."""
    _require_reviewer(user)
    actor = actor_name(user)
    transaction.on_commit(lambda: run_audit_tests.apply_async((result.pk, actor), queue="score"))

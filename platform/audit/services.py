"""Writes of the audit app: the log, verification status, objections and their thread.

Every write that changes what a reader of a result should believe appends an audit entry in
the same transaction, so the log and the state never disagree.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team
from benchmarks.services import track_results_changed
from submissions.images import image_stored
from submissions.models import Result, Status, Submission
from submissions.services import submission_enqueue_run

from .anchor import Anchor, anchor_mac, anchor_mac_matches
from .chain import GENESIS_HASH, ChainBreak, entry_hash, first_break, text_sha256
from .models import (
    AuditAction,
    AuditChainHead,
    AuditEntry,
    Comment,
    Objection,
    ResultReview,
    VerificationStatus,
)
from .roles import actor_name, reviewer_group, user_is_reviewer


class AuditPermissionDenied(PermissionError):
    """The user may not take this audit action; the message says why."""


class AuditActionRefused(ValueError):
    """The action does not apply in the current state; the message says why."""


def _head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditChainHead.objects.create(pk=1, seq=0, last_hash=GENESIS_HASH)
    except IntegrityError:
        pass  # another writer created it first
    return AuditChainHead.objects.select_for_update().get(pk=1)


def audit_append(
    *,
    action: str,
    target_type: str,
    target_id: object,
    actor: str = "system",
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry; the head row lock makes concurrent appends take turns."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    with transaction.atomic():
        head = _head()
        fields: dict[str, Any] = {
            "seq": head.seq + 1,
            "at": timezone.now(),
            "actor": actor,
            "action": action,
            "target_type": target_type,
            "target_id": str(target_id),
            "reason": reason,
            "payload": payload or {},
            "prev_hash": head.last_hash,
        }
        digest = entry_hash(**fields)
        entry = AuditEntry.objects.create(entry_hash=digest, **fields)
        AuditChainHead.objects.filter(pk=1).update(
            seq=entry.seq, last_hash=digest, head_mac=_head_mac(seq=entry.seq, head=digest)
        )
    return entry


def _head_mac(*, seq: int, head: str) -> str:
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    return anchor_mac(key=key, seq=seq, head=head) if key else ""


def audit_verify_chain(*, batch: int = 2000) -> ChainBreak | None:
    """Walk the whole log from the database; the first broken entry, or None."""
    head = AuditChainHead.objects.filter(pk=1).first()
    entries = AuditEntry.objects.order_by("seq").iterator(chunk_size=batch)
    return first_break(
        entries, head_seq=head.seq if head else 0, head_hash=head.last_hash if head else None
    )


def audit_verify_head_mac() -> str | None:
    """With a key configured: why the stored head's HMAC does not vouch for it, or None.

    A chain rewritten by someone without the key (the database owner included) carries a head
    whose HMAC they could not compute.
    """
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    head = AuditChainHead.objects.filter(pk=1).first()
    if not key or head is None or head.seq == 0:
        return None
    if not head.head_mac:
        return (
            f"the chain head #{head.seq} carries no HMAC: it was written before the key was "
            "set, or the HMAC was removed (check --against your last export, then --seal)"
        )
    if not anchor_mac_matches(Anchor(head.seq, head.last_hash, head.head_mac), key=key):
        return (
            f"the chain head #{head.seq}'s HMAC does not match FORGERYBENCH_AUDIT_HMAC_KEY: "
            "the log was rewritten by someone without the key (or the key changed)"
        )
    return None


def audit_verify_against(anchor: Anchor) -> str | None:
    """Why the log no longer holds a published anchor, or None when entry #seq still matches.

    An anchor from an export names the newest entry at that moment; a rewrite of any entry up
    to it changes that entry's hash (every hash covers the one before it).
    """
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    if key and anchor.hmac and not anchor_mac_matches(anchor, key=key):
        return (
            f"the anchor #{anchor.seq}'s HMAC does not match FORGERYBENCH_AUDIT_HMAC_KEY: "
            "this export was not published by this platform (or the key changed)"
        )
    if anchor.seq == 0:
        return None
    entry = AuditEntry.objects.filter(seq=anchor.seq).only("entry_hash").first()
    if entry is None:
        return f"entry #{anchor.seq} is gone: the log was cut back after the export"
    if entry.entry_hash != anchor.head:
        return (
            f"history rewritten: entry #{anchor.seq} had hash {anchor.head} when exported, "
            f"now {entry.entry_hash} (an entry up to #{anchor.seq} was changed)"
        )
    return None


def audit_seal_head() -> Anchor:
    """Record the head's HMAC under the configured key (after the key is first set or rotated).

    Run it only after the chain was checked against the last published export: it vouches for
    whatever the head is now.
    """
    key = settings.FORGERYBENCH_AUDIT_HMAC_KEY
    if not key:
        raise AuditActionRefused("FORGERYBENCH_AUDIT_HMAC_KEY is not set: nothing to seal with")
    with transaction.atomic():
        head = _head()
        head.head_mac = _head_mac(seq=head.seq, head=head.last_hash)
        head.save(update_fields=["head_mac"])
    return Anchor(head.seq, head.last_hash, head.head_mac)


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
    import hashlib

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
        from notifications.events import notify_objection_raised

        notify_objection_raised(objection_id=objection.pk)
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
    from .tasks import run_audit_tests

    actor = actor_name(user)
    transaction.on_commit(lambda: run_audit_tests.apply_async((result.pk, actor), queue="score"))


# A rerun repeats a run that ended; one still in flight has nothing to compare with yet.
RERUNNABLE = (Status.FINISHED, Status.FAILED)


def submission_can_rerun(*, user: User | Any) -> bool:
    """Reviewers and organizers: a rerun reproduces a result, it changes no score."""
    return user_is_reviewer(user)


def submission_can_disqualify(*, user: User | Any) -> bool:
    """Organizers only: disqualifying takes a team's entry off every leaderboard."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


def submission_rerun(*, submission: Submission, user: User, reason: str) -> Submission:
    """Queue a NEW submission with the same pinned identity, ``rerun_of`` the original.

    The original and its results stay as they are (scores are never edited in place); the
    rerun goes through the normal pipeline and writes its own results and provenance. It
    does not count against the team's quota: the team did not ask for it.
    """
    if not submission_can_rerun(user=user):
        raise AuditPermissionDenied(gettext("only reviewers and organizers may rerun a submission"))
    reason = reason.strip()
    if not reason:
        raise AuditActionRefused(gettext("a rerun needs a reason"))
    if submission.disqualified_at is not None:
        raise AuditActionRefused(
            gettext("submission #%(number)s is disqualified; a rerun of it would be too")
            % {"number": submission.pk}
        )
    if submission.status not in RERUNNABLE:
        raise AuditActionRefused(
            gettext(
                "submission #%(number)s is %(status)s; only a finished or failed submission "
                "can be rerun"
            )
            % {"number": submission.pk, "status": submission.status}
        )
    if submission.tarball_sha256 and image_stored(image_id=submission.image_id) is None:
        # An upload's image lives in the platform's store; without it no agent can fetch it.
        # (An image submitted by reference may be in the agents' engines only: the agent
        # that takes the rerun says so, as `image_missing`, if it is not.)
        raise AuditActionRefused(
            gettext(
                "cannot rerun submission #%(number)s: the platform keeps no image %(image)s "
                "(its store copy is gone or damaged)"
            )
            % {"number": submission.pk, "image": submission.image_id}
        )
    now = timezone.now()
    with transaction.atomic():
        rerun = Submission.objects.create(
            team_id=submission.team_id,
            track_id=submission.track_id,
            submitted_by=user,
            method_name=submission.method_name,
            training_data=submission.training_data,
            model_card=submission.model_card,
            license=submission.license,
            image_id=submission.image_id,
            image_reference=submission.image_reference,
            tarball_sha256=submission.tarball_sha256,
            tarball_size=submission.tarball_size,
            rerun_of=submission,
            status=Status.QUEUED,
            queued_at=now,
            last_sent_at=now,
        )
        submission_enqueue_run(submission=rerun)
        audit_append(
            action=AuditAction.RERUN,
            target_type="submission",
            target_id=submission.pk,
            actor=actor_name(user),
            reason=reason,
            payload={
                "original": submission.pk,
                "rerun": rerun.pk,
                "team": submission.team.slug,
                "image_id": submission.image_id,
                "model_card_sha256": text_sha256(submission.model_card),
                "license": submission.license,
            },
        )
    return rerun


def _reruns_of(submission_id: int) -> list[int]:
    """Every rerun of the submission, reruns of reruns included."""
    found: list[int] = []
    frontier = [submission_id]
    while frontier:
        frontier = list(
            Submission.objects.filter(rerun_of_id__in=frontier).values_list("pk", flat=True)
        )
        found += frontier
    return found


def submission_disqualify(*, submission: Submission, user: User, reason: str) -> Submission:
    """Take a submission, and its reruns (the same identity), off every leaderboard, with a
    reason; their rows and results stay."""
    if not submission_can_disqualify(user=user):
        raise AuditPermissionDenied(gettext("only organizers may disqualify a submission"))
    reason = reason.strip()
    if not reason:
        raise AuditActionRefused(gettext("disqualifying needs a reason"))
    with transaction.atomic():
        moved = Submission.objects.filter(pk=submission.pk, disqualified_at__isnull=True).update(
            disqualified_at=timezone.now(), disqualified_by=user, disqualified_reason=reason
        )
        if not moved:
            raise AuditActionRefused(
                gettext("submission #%(number)s is already disqualified")
                % {"number": submission.pk}
            )
        reruns = _reruns_of(submission.pk)
        Submission.objects.filter(pk__in=reruns, disqualified_at__isnull=True).update(
            disqualified_at=timezone.now(),
            disqualified_by=user,
            disqualified_reason=f"a rerun of #{submission.pk}, disqualified: {reason}",
        )
        audit_append(
            action=AuditAction.DISQUALIFIED,
            target_type="submission",
            target_id=submission.pk,
            actor=actor_name(user),
            reason=reason,
            payload={
                "submission": submission.pk,
                "team": submission.team.slug,
                "results": sorted(submission.results.values_list("pk", flat=True)),
                "reruns": reruns,
            },
        )
    submission.refresh_from_db()
    track_results_changed(track=submission.track)
    return submission

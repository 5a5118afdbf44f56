"""The organizers' and reviewers' actions on a submission: rerun it, disqualify it.

Both write submissions (a new one, or the disqualification of one and its reruns) and append
an audit entry in the same transaction; the submission page offers them to whoever may.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.roles import user_is_reviewer
from audit.actors import actor_name
from audit.chain import text_sha256
from audit.models import AuditAction
from audit.services import AuditActionRefused, AuditPermissionDenied, audit_append
from benchmarks.services import track_results_changed

from .identity import reruns_of
from .images import image_stored
from .models import Status, Submission
from .services import submission_enqueue_run

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
        reruns = reruns_of(submission.pk)
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

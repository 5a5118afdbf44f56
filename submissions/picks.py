"""Writes for final picks and the organizer's reveal of the out-of-distribution tier.

A team picks up to ``Phase.final_picks`` of its finished, non-disqualified submissions on the
phase's benchmark while the phase is open and not yet revealed. The reveal (organizers only)
freezes the picks, gives every team that chose none two picks chosen without the hidden labels
(``automatic``; see ``final_pick_default``),
publishes the OOD splits so that results show as they are scored, queues each pick's run on
them, and has the review app queue the audit tests on each pick's results
(``signals.final_pick_revealed``). Every change is an audit log entry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import cast

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import Team
from accounts.selectors import team_is_member
from audit.actors import actor_name
from audit.models import AuditAction
from audit.services import audit_append
from benchmarks.models import Phase, Split, Track
from benchmarks.services import split_publish_results, track_results_changed

from .models import FinalPick, Status, Submission
from .ood import ood_run_enqueue, ood_runs_resend
from .selectors import final_pick_default, final_pick_list, phase_is_open
from .signals import final_pick_revealed, phase_revealed

logger = logging.getLogger(__name__)


class PickRefused(ValueError):
    """The pick or unpick cannot be made; the message says why (shown to the team) and
    ``code`` names the rule (for the API)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PickForbidden(PermissionError):
    """The user may not pick for this team, or reveal a phase."""


def _when(phase: Phase) -> str:
    return (phase.ends_at or timezone.now()).strftime("%Y-%m-%d %H:%M UTC")


def _check_can_change(*, phase: Phase, team: Team, user: User) -> None:
    if not team_is_member(team=team, user=user):
        raise PickForbidden(
            gettext("not your team: only members of %(team)s choose its final picks")
            % {"team": team.name}
        )
    if phase.revealed_at is not None:
        raise PickRefused(
            "phase_closed",
            gettext("phase '%(phase)s' is closed: its out-of-distribution results were revealed")
            % {"phase": phase.slug},
        )
    if not phase_is_open(phase=phase, now=timezone.now()):
        if phase.starts_at > timezone.now():
            raise PickRefused(
                "phase_not_open",
                gettext("phase '%(phase)s' is not open yet") % {"phase": phase.slug},
            )
        raise PickRefused(
            "phase_closed",
            gettext("phase '%(phase)s' is closed: it ended at %(when)s")
            % {"phase": phase.slug, "when": _when(phase)},
        )


def final_pick_add(*, phase: Phase, submission: Submission, user: User) -> FinalPick:
    """Pick ``submission`` as one of its team's finals for ``phase``."""
    team = submission.team
    _check_can_change(phase=phase, team=team, user=user)
    if submission.track.benchmark_id != phase.benchmark_id:
        raise PickRefused(
            "wrong_benchmark",
            gettext("submission #%(number)s is not on %(benchmark)s")
            % {"number": submission.pk, "benchmark": phase.benchmark.name},
        )
    if submission.disqualified_at is not None:
        raise PickRefused(
            "disqualified",
            gettext("submission #%(number)s is disqualified") % {"number": submission.pk},
        )
    if submission.status != Status.FINISHED:
        raise PickRefused(
            "not_finished",
            gettext("submission #%(number)s is %(status)s: only finished ones can be picked")
            % {"number": submission.pk, "status": submission.status},
        )
    with transaction.atomic():
        # One pick at a time per team, so two clicks cannot both slip under the limit.
        Team.objects.select_for_update().filter(pk=team.pk).first()
        if FinalPick.objects.filter(phase=phase, submission=submission).exists():
            raise PickRefused(
                "already_picked",
                gettext("submission #%(number)s is already a final pick")
                % {"number": submission.pk},
            )
        count = FinalPick.objects.filter(phase=phase, team=team).count()
        if count >= phase.final_picks:
            raise PickRefused(
                "too_many_picks",
                gettext(
                    "too many picks: %(team)s has picked %(count)s of %(limit)s for phase "
                    "'%(phase)s'; unpick one first"
                )
                % {
                    "team": team.name,
                    "count": count,
                    "limit": phase.final_picks,
                    "phase": phase.slug,
                },
            )
        try:
            with transaction.atomic():
                pick = FinalPick.objects.create(
                    phase=phase, team=team, submission=submission, picked_by=user
                )
        except IntegrityError:
            raise PickRefused(
                "already_picked",
                gettext("submission #%(number)s is already a final pick")
                % {"number": submission.pk},
            ) from None
        _log(AuditAction.FINAL_PICKED, pick, actor=actor_name(user))
    # Picks choose what stands for the team on hidden boards.
    transaction.on_commit(lambda: track_results_changed(track=submission.track))
    return pick


def final_pick_remove(*, phase: Phase, submission: Submission, user: User) -> None:
    _check_can_change(phase=phase, team=submission.team, user=user)
    with transaction.atomic():
        pick = FinalPick.objects.filter(phase=phase, submission=submission).first()
        if pick is None:
            raise PickRefused(
                "not_picked",
                gettext("submission #%(number)s is not a final pick") % {"number": submission.pk},
            )
        _log(AuditAction.FINAL_UNPICKED, pick, actor=actor_name(user))
        pick.delete()
    track_results_changed(track=submission.track)


def _log(action: str, pick: FinalPick, *, actor: str, reason: str = "") -> None:
    audit_append(
        action=action,
        target_type="submission",
        target_id=pick.submission_id,
        actor=actor,
        reason=reason,
        payload={
            "phase": pick.phase_id,
            "team": pick.team_id,
            "submission": pick.submission_id,
            "automatic": pick.automatic,
        },
    )


def final_picks_fill_automatic(*, phase: Phase) -> list[FinalPick]:
    """Give each team that chose nothing two picks per track, chosen without peeking."""
    picked_teams = set(FinalPick.objects.filter(phase=phase).values_list("team_id", flat=True))
    teams = (
        Team.objects.filter(submissions__track__benchmark_id=phase.benchmark_id)
        .exclude(pk__in=picked_teams)
        .distinct()
    )
    made = []
    for team in teams:
        for submission in final_pick_default(
            phase=phase, team=team, count=min(2, phase.final_picks)
        ):
            pick, created = FinalPick.objects.get_or_create(
                phase=phase, submission=submission, defaults={"team": team, "automatic": True}
            )
            if created:
                _log(AuditAction.FINAL_PICKED, pick, actor="system", reason="no picks chosen")
                made.append(pick)
    return made


@dataclass
class RevealReport:
    phase: Phase
    automatic: int = 0
    picks: int = 0
    runs_queued: int = 0
    runs_resent: int = 0
    audit_tests_queued: int = 0
    skipped: list[str] = field(default_factory=list)
    first_reveal: bool = True


def _ood_splits(phase: Phase) -> list[Split]:
    return list(
        Split.objects.filter(
            track__benchmark_id=phase.benchmark_id, visibility=Split.Visibility.OOD
        ).select_related("track", "track__benchmark")
    )


def _queue_audit_tests(pick: FinalPick, report: RevealReport) -> None:
    """The review app queues the pick's audit tests (``final_pick_revealed``)."""
    for _, answer in final_pick_revealed.send(sender=FinalPick, pick=pick):
        queued, skipped = cast(tuple[int, str], answer)
        report.audit_tests_queued += queued
        if skipped:
            logger.info("final pick %s", skipped)
            report.skipped.append(skipped)


def phase_reveal(*, phase: Phase, user: User, reason: str = "") -> RevealReport:
    """Reveal the phase's out-of-distribution tier. A second call only re-sends the OOD runs
    still queued (a broker that was down); it changes nothing else."""
    if not user.is_staff:
        raise PickForbidden("only organizers reveal out-of-distribution results")
    report = RevealReport(phase=phase)
    splits = _ood_splits(phase)
    actor = actor_name(user)
    with transaction.atomic():
        moved = Phase.objects.filter(pk=phase.pk, revealed_at__isnull=True).update(
            revealed_at=timezone.now(), revealed_by=user
        )
        if not moved:
            report.first_reveal = False
            report.runs_resent = ood_runs_resend(split_ids=[s.pk for s in splits])
            return report
        phase.refresh_from_db(fields=["revealed_at", "revealed_by"])
        report.automatic = len(final_picks_fill_automatic(phase=phase))
        picks = list(final_pick_list(phase=phase).filter(submission__disqualified_at__isnull=True))
        report.picks = len(picks)
        for pick in picks:
            for split in splits:
                if split.track_id == pick.submission.track_id:
                    report.runs_queued += ood_run_enqueue(submission=pick.submission, split=split)
            _queue_audit_tests(pick, report)
        audit_append(
            action=AuditAction.OOD_REVEALED,
            target_type="phase",
            target_id=phase.pk,
            actor=actor,
            reason=reason,
            payload={
                "phase": str(phase),
                "splits": [s.pk for s in splits],
                "picks": [p.pk for p in picks],
                "automatic": report.automatic,
                "runs_queued": report.runs_queued,
                "audit_tests_queued": report.audit_tests_queued,
            },
        )
        for split in splits:
            # Published at once: rows appear as each pick's run is scored.
            split_publish_results(
                split=split, published=True, actor=actor, reason=reason or "OOD reveal"
            )
        phase_revealed.send_robust(sender=Phase, phase=phase)
    # The OOD boards, and the hidden boards that automatic picks now choose rows on.
    for track in Track.objects.filter(benchmark_id=phase.benchmark_id).select_related("benchmark"):
        track_results_changed(track=track)
    return report

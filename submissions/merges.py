"""Team merges: an organizer's action, allowed only when the merged team fits its quota.

The rule (docs/submitting.md): merging team B into team A is allowed only if A's and B's past
submissions, counted together as one team's (``submissions_counted``), fit every quota of every
track they used — the total limit, and the daily limit on each UTC day — and their final picks
together fit each phase's ``final_picks``. Otherwise two teams could each spend a quota and
then pool the results, which is what "one person, one quota" forbids.

A submission's team is part of its pinned identity (the database refuses to change it), so a
merge does not move submissions: B is marked ``merged_into`` A. From then on B's submissions
count against A's quotas, stand with A's on the leaderboards (one row for both), B's members
and picks move to A, and B takes no new submission or member. Each merge is one audit entry.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Membership, Team
from accounts.selectors import team_and_merged
from audit.actors import actor_name
from audit.services import audit_append
from benchmarks.models import Phase, Track
from benchmarks.services import track_results_changed

from .models import FinalPick, Submission
from .selectors import submissions_counted
from .team_rule import team_submission_refusal


class TeamMergeRefused(ValueError):
    """The merge would break the rule; ``problems`` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the teams cannot be merged: " + "; ".join(problems))


def team_merge_problems(*, into: Team, other: Team) -> list[str]:
    """Every reason merging `other` into `into` would break the rule (empty: allowed)."""
    if into.pk == other.pk:
        return ["a team cannot be merged into itself"]
    problems = []
    for team in (into, other):
        if team.is_baseline:
            problems.append(f"{team.name} is a baseline team (the platform's own)")
        if team.merged_into_id:
            problems.append(f"{team.name} was already merged into another team")
    if problems:
        return problems
    teams = team_and_merged(into) + team_and_merged(other)
    tracks = (
        Track.objects.filter(submissions__team__in=teams).distinct().select_related("benchmark")
    )
    for track in tracks.order_by("pk"):
        counted = submissions_counted(teams=teams, track=track)
        total = counted.count()
        limit = track.total_submission_limit
        if limit is not None and total > limit:
            problems.append(
                f"{track}: {total} submissions count together, over the total quota of {limit}"
            )
        daily = track.daily_submission_limit
        if daily is not None:
            days = (
                counted.annotate(day=TruncDate("created_at", tzinfo=UTC))
                .values("day")
                .annotate(n=Count("pk"))
                .filter(n__gt=daily)
                .order_by("day")
            )
            for row in days:
                problems.append(
                    f"{track}: {row['n']} submissions count together on {row['day']:%Y-%m-%d}, "
                    f"over the daily quota of {daily}"
                )
    phases = Phase.objects.filter(final_picks_made__team__in=teams).distinct()
    for phase in phases.order_by("pk"):
        picks = FinalPick.objects.filter(phase=phase, team__in=teams).count()
        if picks > phase.final_picks:
            problems.append(
                f"{phase}: {picks} final picks together, over the phase's {phase.final_picks}"
            )
        if phase.revealed_at is not None and FinalPick.objects.filter(
            phase=phase, team__in=team_and_merged(other)
        ):
            problems.append(f"{phase} was revealed: its picks are frozen")
    return problems


def team_merge(*, into: Team, other: Team, user: User, reason: str) -> Team:
    """Merge `other` into `into` (organizers only), or raise TeamMergeRefused naming why."""
    if not user.is_staff:
        raise PermissionError("only organizers merge teams")
    reason = reason.strip()
    if not reason:
        raise TeamMergeRefused(["say why: a merge needs a reason"])
    with transaction.atomic():
        # Both rows locked (in one order): no submission of either slips in meanwhile.
        list(Team.objects.select_for_update().filter(pk__in=[into.pk, other.pk]).order_by("pk"))
        into.refresh_from_db()
        other.refresh_from_db()
        problems = team_merge_problems(into=into, other=other)
        if problems:
            raise TeamMergeRefused(problems)
        members = list(other.memberships.select_related("user"))
        moved_submissions = list(
            Submission.objects.filter(team__in=team_and_merged(other)).values_list("pk", flat=True)
        )
        Team.objects.filter(merged_into=other).update(merged_into=into)
        Team.objects.filter(pk=other.pk).update(merged_into=into, merged_at=timezone.now())
        FinalPick.objects.filter(team=other).update(team=into)
        for membership in members:
            Membership.objects.get_or_create(
                team=into, user=membership.user, defaults={"role": Membership.Role.MEMBER}
            )
        Membership.objects.filter(team=other).delete()
        into.refresh_from_db()
        # The merged team's people must not be bound to a third team in a phase.
        tracks = list(
            Track.objects.filter(submissions__team__in=team_and_merged(into))
            .distinct()
            .select_related("benchmark")
        )
        for benchmark in {track.benchmark for track in tracks}:
            refusal = team_submission_refusal(
                team=into,
                benchmark_id=benchmark.pk,
                benchmark_name=benchmark.name,
                user=None,
                now=timezone.now(),
            )
            if refusal:
                raise TeamMergeRefused([refusal])
        audit_append(
            action="teams_merged",
            target_type="team",
            target_id=into.pk,
            actor=actor_name(user),
            reason=reason,
            payload={
                "into": into.slug,
                "merged": other.slug,
                "members": sorted(m.user.get_username() for m in members),
                "submissions": moved_submissions,
            },
        )
        for track in tracks:
            track_results_changed(track=track)
    return into

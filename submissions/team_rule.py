"""One person, one quota: reads behind "a person takes part through at most one team per
benchmark phase".

Quotas and final picks count per team. If one person could submit through several teams in a
phase, each new team would be a fresh quota and a fresh set of picks, so the rule binds a person
to one team per phase (per benchmark when it has no phases). A team *takes part* in a phase once
it has sent a submission to one of the benchmark's tracks inside the phase's window (reruns made
by organizers do not count); a person is bound to a team that takes part while a member of it,
and to every team they submitted for in the phase even after leaving it. Baseline teams are the
platform's own and are exempt. An organizer may relax the rule per phase
(``Phase.one_team_per_person``, in the definition YAML or the console).

The submission service refuses a submission that would put a person on a second team, and the
team-joining paths ask ``team_join_refusal`` before adding a member: merges here, invitations
and members added in ``accounts``, which registers it as a join rule
(``accounts.join_rules``, from ``SubmissionsConfig.ready``) since accounts sits below.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from accounts.models import Team
from accounts.selectors import team_and_merged, team_effective
from benchmarks.models import Benchmark, Phase


def phase_in_force(*, benchmark_id: int, now: datetime) -> Phase | None:
    """The benchmark's phase open at `now` (the latest started if several overlap), or None."""
    phases = Phase.objects.filter(benchmark_id=benchmark_id, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    return phases.order_by("-starts_at").first()


def _period(benchmark_id: int, now: datetime) -> tuple[bool, Phase | None]:
    """Whether the rule is in force on the benchmark now, and over which phase (None: the
    benchmark has no phases, so its whole life is one period). Between phases nobody submits,
    so the rule has nothing to hold."""
    phase = phase_in_force(benchmark_id=benchmark_id, now=now)
    if phase is None:
        return not Phase.objects.filter(benchmark_id=benchmark_id).exists(), None
    return phase.one_team_per_person, phase


def _taking_part(benchmark_id: int, phase: Phase | None, **extra: object) -> Q:
    """Teams with a team-sent submission on the benchmark inside the phase's window (one join,
    so `extra` conditions apply to the same submission)."""
    condition = Q(
        submissions__track__benchmark_id=benchmark_id,
        submissions__rerun_of__isnull=True,
        **{f"submissions__{k}": v for k, v in extra.items()},
    )
    if phase is not None:
        condition &= Q(submissions__created_at__gte=phase.starts_at)
        if phase.ends_at is not None:
            condition &= Q(submissions__created_at__lt=phase.ends_at)
    return condition


def teams_taking_part(*, benchmark_id: int, phase: Phase | None) -> QuerySet[Team]:
    """Non-baseline teams that take part in `phase` (the whole benchmark when None)."""
    return (
        Team.objects.filter(is_baseline=False).filter(_taking_part(benchmark_id, phase)).distinct()
    )


def person_teams_in_phase(*, user: User, benchmark_id: int, phase: Phase | None) -> list[Team]:
    """The teams taking part in the phase that `user` is bound to: a member of now, or
    submitted for inside the phase's window."""
    member = Team.objects.filter(memberships__user=user).filter(_taking_part(benchmark_id, phase))
    submitted = Team.objects.filter(_taking_part(benchmark_id, phase, submitted_by=user))
    teams = (member | submitted).filter(is_baseline=False).distinct().select_related("merged_into")
    # A team merged into another is that other team for the rule.
    effective = {t.pk: t for t in (team_effective(team) for team in teams)}
    return sorted(effective.values(), key=lambda t: t.name)


def _where(benchmark_name: str, phase: Phase | None) -> str:
    if phase is None:
        return benchmark_name
    return gettext("phase '%(phase)s' of %(benchmark)s") % {
        "phase": phase.name,
        "benchmark": benchmark_name,
    }


def team_submission_refusal(
    *, team: Team, benchmark_id: int, benchmark_name: str, user: User | None, now: datetime
) -> str | None:
    """Why `team` may not submit to the benchmark now under the one-team rule, or None.

    Every member of the team, and the person submitting, must be bound to no other team taking
    part in the phase in force."""
    if team.is_baseline:
        return None
    if team.merged_into_id:
        return gettext("team %(team)s was merged into %(into)s: submit as %(into)s") % {
            "team": team.name,
            "into": team_effective(team).name,
        }
    applies, phase = _period(benchmark_id, now)
    if not applies:
        return None
    people = list(User.objects.filter(memberships__team=team).order_by("username"))
    if user is not None and user.pk not in {p.pk for p in people}:
        people.append(user)
    for person in people:
        others = [
            t
            for t in person_teams_in_phase(user=person, benchmark_id=benchmark_id, phase=phase)
            if t.pk != team.pk
        ]
        if others:
            return gettext(
                "one person, one team per benchmark phase: %(person)s takes part in %(where)s "
                "with %(other)s; a person submits through one team per phase (leave one team, "
                "or ask an organizer to merge the teams)"
            ) % {
                "person": person.get_username(),
                "where": _where(benchmark_name, phase),
                "other": others[0].name,
            }
    return None


def team_join_refusal(*, team: Team, user: User, now: datetime) -> str | None:
    """Why `user` may not join `team` now under the one-team rule, or None: for each benchmark
    the team takes part in (in the phase in force there), the user must be bound to no other
    team taking part."""
    if team.is_baseline:
        return None
    if team.merged_into_id:
        return gettext("team %(team)s was merged into %(into)s: join that team") % {
            "team": team.name,
            "into": team_effective(team).name,
        }
    teams = team_and_merged(team)
    benchmarks = Benchmark.objects.filter(tracks__submissions__team__in=teams).distinct()
    for benchmark in benchmarks.order_by("name"):
        applies, phase = _period(benchmark.pk, now)
        if not applies:
            continue
        taking_part = teams_taking_part(benchmark_id=benchmark.pk, phase=phase)
        if not taking_part.filter(pk__in=[t.pk for t in teams]).exists():
            continue
        others = [
            t
            for t in person_teams_in_phase(user=user, benchmark_id=benchmark.pk, phase=phase)
            if t.pk != team.pk
        ]
        if others:
            return gettext(
                "one person, one team per benchmark phase: %(person)s takes part in %(where)s "
                "with %(other)s, and %(team)s takes part in it too"
            ) % {
                "person": user.get_username(),
                "where": _where(benchmark.name, phase),
                "other": others[0].name,
                "team": team.name,
            }
    return None

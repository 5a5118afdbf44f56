from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext

from accounts.models import Team
from accounts.selectors import team_and_merged
from benchmarks.models import Phase, Split, Track
from benchmarks.selectors import higher_is_better, selection_split
from evaluator.metrics import DetectionTable, load_table
from evaluator.metrics.curves import pr_points, roc_points

from .artifacts import unit_table_path
from .models import (
    PLATFORM_FAILURE_CODES,
    FinalPick,
    Result,
    SplitRun,
    Status,
    Submission,
    VerificationStatus,
)
from .run_disclosure import HiddenRunView, Limits, hidden_view
from .run_queue import run_order

CANCELLED_RUN = "cancelled"  # the runner's outcome for a container stopped by a cancel

# What a leaderboard may show: complete provenance, not removed by a reviewer, and not of a
# disqualified submission.
SHOWN = (
    Q(provenance__complete=True)
    & ~Q(review__status=VerificationStatus.REMOVED)
    & Q(submission__disqualified_at__isnull=True)
)


def result_filter_shown(*, results: QuerySet[Result]) -> QuerySet[Result]:
    """Leaderboards and final picks apply this: a Result without complete provenance, removed
    by a reviewer or of a disqualified submission is never shown."""
    return results.filter(SHOWN)


def submission_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Submission]:
    queryset = Submission.objects.select_related("team", "track", "track__benchmark")
    if getattr(user, "is_staff", False):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(team__memberships__user=user)


def submission_can_see_logs(*, submission: Submission, user: User | AnonymousUser) -> bool:
    """Log tails, failure reasons and run measurements are the owning team's and the
    organizers'; anyone else sees a submission's state only."""
    if getattr(user, "is_staff", False):
        return True
    return user.is_authenticated and submission.team.memberships.filter(user=user).exists()


@dataclass(frozen=True)
class RunView:
    """One run as its viewer may see it: in full (a public split, or an organizer), or as the
    banded measurements of a hidden run (`hidden`), never the container's output."""

    split: str
    visibility: str
    outcome: str
    hidden: HiddenRunView | None
    exit_code: int | None = None
    wall_seconds: float | None = None
    peak_memory_bytes: int | None = None
    output_bytes: int | None = None
    log_tail: str = ""


def _wall_seconds(run: SplitRun) -> float | None:
    if run.started_at is None or run.ended_at is None:
        return None
    return round((run.ended_at - run.started_at).total_seconds(), 1)


def submission_run_views(
    *, submission: Submission, user: User | AnonymousUser, settings_cap_mb: int
) -> list[RunView]:
    """The runs of a submission for a viewer who may see its logs (check that first):
    public splits, debug included, in full; hidden and out-of-distribution splits as banded
    measurements, except for organizers."""
    staff = bool(getattr(user, "is_staff", False))
    views = []
    runs = list(submission.runs.select_related("split"))
    for run in sorted(runs, key=lambda r: run_order(r.split)):
        split = run.split
        if staff or split.visibility == Split.Visibility.PUBLIC:
            views.append(
                RunView(
                    split=split.name,
                    visibility=split.visibility,
                    outcome=run.outcome,
                    hidden=None,
                    exit_code=run.exit_code,
                    wall_seconds=_wall_seconds(run),
                    peak_memory_bytes=run.peak_memory_bytes,
                    output_bytes=run.output_bytes,
                    log_tail=run.log_tail,
                )
            )
            continue
        limits = Limits(
            timeout_seconds=submission.track.timeout_seconds,
            memory_mb=submission.track.memory_mb,
            output_cap_mb=settings_cap_mb,
            sample_count=split.sample_count,
        )
        # A hidden run stopped by the team's own cancel shows only that: its measurements
        # would come free (a cancelled submission does not count against a quota).
        stopped = run.outcome == CANCELLED_RUN
        banded = hidden_view(
            outcome=run.outcome,
            exit_code=None if stopped else run.exit_code,
            wall_seconds=None if stopped else _wall_seconds(run),
            peak_memory_bytes=None if stopped else run.peak_memory_bytes,
            output_bytes=None if stopped else run.output_bytes,
            limits=limits,
        )
        views.append(
            RunView(
                split=split.name, visibility=split.visibility, outcome=run.outcome, hidden=banded
            )
        )
    return views


def submission_list_for_team(*, team: Team, include_unfinished: bool) -> QuerySet[Submission]:
    """A team's submissions; outsiders see only finished ones (failures are the team's own)."""
    queryset = Submission.objects.filter(team=team).select_related("track", "track__benchmark")
    if not include_unfinished:
        queryset = queryset.filter(status=Status.FINISHED)
    return queryset


def submission_detection_curves(*, submission: Submission, split_ids: list[int]) -> dict[int, dict]:
    """ROC and PR points per split (detection only), from the tables the score step saved."""
    if submission.track.task != "detection":
        return {}
    curves: dict[int, dict] = {}
    for run in submission.runs.filter(split_id__in=split_ids).select_related("split"):
        path = unit_table_path(submission_id=submission.pk, split_name=run.split.name)
        if not path.is_file():
            continue
        table = load_table(path)
        if not isinstance(table, DetectionTable):
            continue
        try:
            fpr, tpr = roc_points(table.labels, table.scores)
            recall, precision = pr_points(table.labels, table.scores)
        except ValueError:
            continue
        curves[run.split_id] = {"roc": (fpr, tpr), "pr": (recall, precision)}
    return curves


@dataclass(frozen=True)
class QuotaUsage:
    today: int  # since 00:00 UTC
    total: int


def submissions_counted(*, teams: list[Team], track: Track) -> QuerySet[Submission]:
    """The submissions of `teams` on `track` that count against a quota.

    Everything a team sent counts, including every failure its container can cause (a
    crash, bad predictions, output that cannot be processed), except failures the platform
    caused and submissions cancelled before any hidden run ended (a cancel after one would
    hand the team that run's measurements for free). Reruns are made by organizers and
    reviewers, not by the team.
    """
    hidden_run_ended = (
        SplitRun.objects.filter(submission=OuterRef("pk"), ended_at__isnull=False)
        .exclude(split__visibility=Split.Visibility.PUBLIC)
        .exclude(outcome=CANCELLED_RUN)  # stopped by the cancel itself: shown as that only
    )
    return (
        Submission.objects.filter(team__in=teams, track=track)
        .exclude(Q(status=Status.CANCELLED) & ~Exists(hidden_run_ended))
        .exclude(status=Status.FAILED, failure_code__in=PLATFORM_FAILURE_CODES)
        .exclude(rerun_of__isnull=False)
    )


def submission_quota_usage(*, team: Team, track: Track, now: datetime) -> QuotaUsage:
    """Submissions that count against the team's quota on `track` (`submissions_counted`)."""
    counted = submissions_counted(teams=team_and_merged(team), track=track)
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    stats = counted.aggregate(
        total=Count("pk"), today=Count("pk", filter=Q(created_at__gte=midnight))
    )
    return QuotaUsage(today=stats["today"], total=stats["total"])


def submission_can_cancel(*, submission: Submission, user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False):
        return True
    return submission.team.memberships.filter(user=user).exists()


@dataclass(frozen=True)
class QuotaLine:
    track: Track
    used_today: int
    daily_limit: int | None
    used_total: int
    total_limit: int | None

    @property
    def left_today(self) -> int | None:
        """Submissions still allowed today, the tighter of the two limits (None: unlimited)."""
        lefts = [
            limit - used
            for limit, used in (
                (self.daily_limit, self.used_today),
                (self.total_limit, self.used_total),
            )
            if limit is not None
        ]
        return max(0, min(lefts)) if lefts else None


def team_quota_lines(*, team: Team, now: datetime) -> list[QuotaLine]:
    """The team's usage on every track that sets a limit: shown before the team submits."""
    lines = []
    limited = Track.objects.filter(
        Q(daily_submission_limit__isnull=False) | Q(total_submission_limit__isnull=False)
    ).select_related("benchmark")
    for track in limited.order_by("benchmark__name", "name"):
        usage = submission_quota_usage(team=team, track=track, now=now)
        lines.append(
            QuotaLine(
                track=track,
                used_today=usage.today,
                daily_limit=track.daily_submission_limit,
                used_total=usage.total,
                total_limit=track.total_submission_limit,
            )
        )
    return lines


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def phase_is_open(*, phase: Phase, now: datetime) -> bool:
    return phase.starts_at <= now and (phase.ends_at is None or now < phase.ends_at)


def phase_open_for_benchmark(*, benchmark_id: int, now: datetime) -> Phase | None:
    """The benchmark's open phase (the latest started if several overlap), or None."""
    phases = Phase.objects.filter(benchmark_id=benchmark_id).order_by("-starts_at")
    return next((p for p in phases if phase_is_open(phase=p, now=now)), None)


def phase_refusal(*, track: Track, now: datetime) -> str | None:
    """Why the track takes no submission now, or None: a phase is open, or none is defined
    (a benchmark without phases always accepts)."""
    phases = list(Phase.objects.filter(benchmark_id=track.benchmark_id))
    if not phases or any(phase_is_open(phase=p, now=now) for p in phases):
        return None
    ended = [p for p in phases if p.ends_at is not None and p.ends_at <= now]
    upcoming = [p for p in phases if p.starts_at > now]
    parts = []
    if ended:
        last = max(ended, key=lambda p: p.ends_at or now)
        parts.append(
            gettext("phase '%(phase)s' ended at %(when)s")
            % {"phase": last.slug, "when": _when(last.ends_at or now)}
        )
    parts.append(gettext("no phase open"))
    if upcoming:
        first = min(upcoming, key=lambda p: p.starts_at)
        parts.append(
            gettext("phase '%(phase)s' opens at %(when)s")
            % {"phase": first.slug, "when": _when(first.starts_at)}
        )
    return "; ".join(parts)


def submission_phase_refusal(*, team: Team, track: Track, now: datetime) -> str | None:
    """Why `team` may not submit to `track` now, or None. Baseline teams are the platform's
    own and submit outside the phases. Used by the service and the upload page alike."""
    return None if team.is_baseline else phase_refusal(track=track, now=now)


def final_pick_list(*, phase: Phase, team: Team | None = None) -> QuerySet[FinalPick]:
    picks = FinalPick.objects.filter(phase=phase).select_related(
        "submission", "submission__track", "team", "picked_by"
    )
    return picks.filter(team=team) if team is not None else picks


def final_pick_candidates(*, phase: Phase, team: Team) -> QuerySet[Submission]:
    """What a team may pick: its finished, non-disqualified submissions on the phase's
    benchmark (on tracks that are not robustness copies)."""
    return (
        Submission.objects.filter(
            team__in=team_and_merged(team),
            track__benchmark_id=phase.benchmark_id,
            track__robustness_of__isnull=True,
            status=Status.FINISHED,
            disqualified_at__isnull=True,
        )
        .select_related("track", "track__benchmark")
        .order_by("-finished_at", "-pk")
    )


def final_pick_default(*, phase: Phase, team: Team, count: int = 2) -> list[Submission]:
    """The picks a team gets when it chose none, chosen without the hidden labels (protocol
    §5): per track, under ``entry_rule: best`` its best ``count`` by the primary metric on the
    hidden split's public part where one is scored, else on the public split (``val``); under
    ``last`` (or with no public number at all) its latest ``count``. Ties: the earlier one."""
    chosen: list[Submission] = []
    candidates = list(final_pick_candidates(phase=phase, team=team))
    tracks = {s.track_id: s.track for s in candidates}
    for track in tracks.values():
        mine = [s for s in candidates if s.track_id == track.pk]
        values: dict[int, float] = {}
        if track.entry_rule == Track.EntryRule.BEST:
            hidden = Result.objects.filter(
                submission__in=mine, split__visibility=Split.Visibility.HIDDEN
            ).values_list("submission_id", "parts")
            for submission_id, parts in hidden:
                value = (parts or {}).get("public", {}).get("metrics", {}).get(track.primary_metric)
                if isinstance(value, int | float):
                    values[submission_id] = float(value)
            public = selection_split(track=track)
            if not values and public is not None:
                values = {
                    submission_id: float(value)
                    for submission_id, value in Result.objects.filter(
                        submission__in=mine, split=public, primary_value__isnull=False
                    ).values_list("submission_id", "primary_value")
                    if value is not None
                }
        if values:
            sign = -1.0 if higher_is_better(track, track.primary_metric) else 1.0
            ranked = sorted(
                (s for s in mine if s.pk in values), key=lambda s: (sign * values[s.pk], s.pk)
            )
        else:
            ranked = mine  # newest first (final_pick_candidates' order)
        chosen += ranked[:count]
    return chosen


def phase_list_for_team(*, team: Team) -> QuerySet[Phase]:
    """Phases of the benchmarks the team has submitted to, newest first."""
    return (
        Phase.objects.filter(benchmark__tracks__submissions__team=team)
        .distinct()
        .select_related("benchmark")
        .order_by("benchmark__name", "-starts_at")
    )

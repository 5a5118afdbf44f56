from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet

from accounts.models import Team
from benchmarks.models import Track
from evaluator.metrics import DetectionTable, load_table
from evaluator.metrics.curves import pr_points, roc_points

from .artifacts import UNIT_TABLE_FILE
from .models import PLATFORM_FAILURE_CODES, Status, Submission


def submission_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Submission]:
    queryset = Submission.objects.select_related("team", "track", "track__benchmark")
    if getattr(user, "is_staff", False):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(team__memberships__user=user)


def submission_can_see_logs(*, submission: Submission, user: User | AnonymousUser) -> bool:
    """Log tails may echo inputs or a team's own code: owning team and organizers only."""
    if getattr(user, "is_staff", False):
        return True
    return user.is_authenticated and submission.team.memberships.filter(user=user).exists()


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
    for run in submission.runs.filter(split_id__in=split_ids):
        path = Path(run.artifacts_dir) / UNIT_TABLE_FILE
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


def submission_quota_usage(*, team: Team, track: Track, now: datetime) -> QuotaUsage:
    """Submissions that count against the team's quota on `track`.

    Everything the team sent counts, including its own failures (its container crashed, bad
    predictions), except failures the platform caused and cancelled submissions, which
    produced no score.
    """
    counted = (
        Submission.objects.filter(team=team, track=track)
        .exclude(status=Status.CANCELLED)
        .exclude(status=Status.FAILED, failure_code__in=PLATFORM_FAILURE_CODES)
    )
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

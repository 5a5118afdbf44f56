"""Reads for notifications: a person's list, unread count, settings, and who takes part."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import cache
from django.db.models import QuerySet

from benchmarks.models import Benchmark
from lib.versiontable import versions
from submissions.disclosure import result_is_disclosed
from submissions.models import Result, Submission

from .models import Kind, Notification, Preference
from .unread import UNREAD_SECONDS, unread_cache_key, unread_version_key


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def notification_unread_count(*, user: User | AnonymousUser) -> int:
    """The person's unread notifications (notifications.unread: cached, dropped by writes)."""
    if not user.is_authenticated:
        return 0
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, timeout=UNREAD_SECONDS)
    return int(count)


def notification_unread_version(*, user: User | AnonymousUser) -> int:
    """A number that moves whenever the person's unread count may have (0 for no one): what
    a page that keeps its header between requests is keyed by, instead of the count itself."""
    if not user.is_authenticated:
        return 0
    # Started, not only read: a version lost (its file deleted, evicted) comes back past every
    # value it had, so a header kept under an older one is never shown again.
    return versions().start(unread_version_key(user.pk))


def preference_for_user(*, user: User) -> Preference:
    """The person's settings; an unsaved row with the defaults when they never chose."""
    return Preference.objects.filter(user=user).first() or Preference(user=user)


def benchmark_participants(*, benchmark: Benchmark) -> QuerySet[User]:
    """Active members of every non-baseline team that submitted to one of its tracks."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__team__is_baseline=False,
            memberships__team__submissions__track__benchmark=benchmark,
        )
        .distinct()
        .order_by("pk")
    )


@dataclass(frozen=True)
class MailResult:
    split: str
    visibility: str
    # None: scored, but the number may not be told yet (a hidden split not yet published).
    primary_metric: str
    primary_value: float | None


def result_disclosed(*, result: Result) -> bool:
    """Whether a mail to the submitting team may carry this result's numbers: public splits,
    and hidden results once a publication moment follows their submission (protocol §5)."""
    return result_is_disclosed(result=result)


def submission_mail_results(*, submission: Submission) -> list[MailResult]:
    """The results a mail about this submission lists, numbers only where they may be told."""
    metric = submission.track.primary_metric
    lines = []
    for result in submission.results.select_related("split").order_by(
        "split__visibility", "split__name"
    ):
        shown = result_disclosed(result=result)
        lines.append(
            MailResult(
                split=result.split.name,
                visibility=result.split.visibility,
                primary_metric=metric,
                primary_value=result.primary_value if shown else None,
            )
        )
    return lines


def kind_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Kind.choices]

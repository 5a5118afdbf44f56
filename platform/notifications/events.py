"""What each platform event tells the people it concerns.

Called by the receivers (``receivers``) of the signals sent where the events happen
(submissions, benchmarks, picks, teams), inside their transactions, so a notification exists
exactly when its event committed. A fault here is logged and rolled back to its own savepoint:
telling people never breaks the event itself.
"""

import functools
import logging
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from benchmarks.models import Phase, Split
from review.models import Objection
from submissions.models import PLATFORM_FAILURE_CODES, FinalPick, Status, Submission

from .models import Kind
from .selectors import submission_mail_results
from .services import invitation_enqueue_mail, notification_create_many

logger = logging.getLogger(__name__)


def _never_raises[**P](function: Callable[P, None]) -> Callable[P, None]:
    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            with transaction.atomic():
                function(*args, **kwargs)
        except Exception:
            logger.exception("%s failed; the event itself stands", function.__name__)

    return wrapper


def _members(team_ids: set[int] | list[int]) -> QuerySet[User]:
    return User.objects.filter(is_active=True, memberships__team_id__in=team_ids).distinct()


def _number(value: float | None) -> str | Promise:
    return _("n/a") if value is None else f"{value:.4f}"


def _lines(lines: list[str | Promise]) -> Promise:
    """Lines, each translated in the reader's language when the notification is written."""
    return format_lazy("\n".join("{}" for _line in lines), *lines)


@_never_raises
def notify_submission_done(*, submission_id: int) -> None:
    """A submission finished or failed: its team hears of it (a cancel is the team's own act)."""
    submission = Submission.objects.select_related("team", "track__benchmark").get(pk=submission_id)
    track = submission.track
    what = format_lazy(
        _('Submission #{number} ("{method}") on {track}'),
        number=submission.pk,
        method=submission.method_name,
        track=track,
    )
    lines: list[str | Promise]
    if submission.status == Status.FINISHED:
        subject = format_lazy(_("Submission #{number} finished"), number=submission.pk)
        lines = [format_lazy(_("{what} finished and was scored."), what=what), ""]
        results = submission_mail_results(submission=submission)
        if results:
            lines.append(format_lazy(_("Primary metric: {metric}"), metric=track.primary_metric))
        for result in results:
            if result.primary_value is None and result.visibility != "public":
                lines.append(
                    format_lazy(
                        _(
                            "- {split} ({visibility}): scored; its number is shown once "
                            "the organizers publish this split's results"
                        ),
                        split=result.split,
                        visibility=result.visibility,
                    )
                )
            else:
                lines.append(
                    format_lazy(
                        "- {} ({}): {}",
                        result.split,
                        result.visibility,
                        _number(result.primary_value),
                    )
                )
    elif submission.status == Status.FAILED:
        subject = format_lazy(
            _("Submission #{number} failed: {code}"),
            number=submission.pk,
            code=submission.failure_code,
        )
        lines = [
            format_lazy(_("{what} failed ({code})."), what=what, code=submission.failure_code),
            "",
            submission.failure_reason,
        ]
        if submission.failure_code in PLATFORM_FAILURE_CODES:
            lines += ["", _("This was the platform's fault: it does not count against your quota.")]
    else:
        return
    notification_create_many(
        users=_members([submission.team_id]),
        kind=Kind.SUBMISSION,
        subject=subject,
        body=_lines(lines),
        link=f"/submissions/{submission.pk}/",
    )


@_never_raises
def notify_results_published(*, split: Split) -> None:
    """A hidden split's results were published: every team with a result there hears of it."""
    split = Split.objects.select_related("track__benchmark").get(pk=split.pk)
    if split.visibility != Split.Visibility.HIDDEN or split.published_through is None:
        return  # public results were always shown; OOD ones are told at the reveal
    track = split.track
    # A publication discloses submissions made up to it (protocol §5): only their teams.
    team_ids = set(
        Submission.objects.filter(
            results__split=split,
            disqualified_at__isnull=True,
            created_at__lte=split.published_through,
        ).values_list("team_id", flat=True)
    )
    if not team_ids:
        return
    notification_create_many(
        users=_members(team_ids),
        kind=Kind.RESULTS,
        subject=format_lazy(
            _("Results published: {track} / {split}"), track=track, split=split.name
        ),
        body=format_lazy(
            _(
                "The organizers published the results of the hidden split {split} of "
                "{track}. Your team's results on it are now on the leaderboard."
            ),
            split=split.name,
            track=track,
        ),
        link=f"/b/{track.benchmark.slug}/{track.slug}/",
    )


@_never_raises
def notify_phase_revealed(*, phase: Phase) -> None:
    """The final picks of a phase were revealed: every team with a pick hears which ones."""
    picks: dict[int, list[int]] = {}
    for team_id, submission_id in FinalPick.objects.filter(phase=phase).values_list(
        "team_id", "submission_id"
    ):
        picks.setdefault(team_id, []).append(submission_id)
    benchmark = phase.benchmark
    for team in Team.objects.filter(pk__in=picks):
        numbers = ", ".join(f"#{pk}" for pk in sorted(picks[team.pk]))
        notification_create_many(
            users=_members([team.pk]),
            kind=Kind.REVEAL,
            subject=format_lazy(_("Final picks revealed: {phase}"), phase=phase),
            body=format_lazy(
                _(
                    "The organizers revealed the final picks of {phase}. {team}'s picks: "
                    "{numbers}. They now run on the out-of-distribution tier; its results "
                    "appear on the benchmark's boards as each run is scored."
                ),
                phase=phase,
                team=team.name,
                numbers=numbers,
            ),
            link=f"/b/{benchmark.slug}/",
        )


@_never_raises
def notify_objection_raised(*, objection_id: int) -> None:
    """Another team objected to a team's result: that team hears of it and where to answer."""
    objection = Objection.objects.select_related(
        "team", "result__split__track", "result__submission"
    ).get(pk=objection_id)
    result = objection.result
    notification_create_many(
        users=_members([result.submission.team_id]),
        kind=Kind.OBJECTION,
        subject=format_lazy(
            _("An objection to your result on {track} / {split}"),
            track=result.split.track,
            split=result.split.name,
        ),
        body=format_lazy(
            _(
                "{team} objected to the result of submission #{number} on {track} / {split}, "
                "citing: {rule}\n\nThe organizers review it; the result's audit page shows "
                "the thread and lets your team answer."
            ),
            team=objection.team.name,
            number=result.submission_id,
            track=result.split.track,
            split=result.split.name,
            rule=objection.rule,
        ),
        link=f"/audit/results/{result.pk}/",
    )


@_never_raises
def notify_team_change(
    *, users: list[User], subject: str | Promise, body: str | Promise, link: str
) -> None:
    """Invitations, joins, departures, removals and ownership changes of a team."""
    notification_create_many(users=users, kind=Kind.TEAM, subject=subject, body=body, link=link)


@_never_raises
def notify_invitation_mail(*, invitation_id: int) -> None:
    """A team invited someone by mail: the mail goes out once the invitation is committed."""
    invitation_enqueue_mail(invitation_id=invitation_id)

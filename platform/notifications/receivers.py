"""Notifications hear the platform's events through the signals of the apps where they happen
(``submissions.signals``, ``benchmarks.signals``, ``accounts.signals``, ``review.signals``), so
those apps never import this one. ``connect`` is called once, from ``NotificationsConfig.ready``.

The receivers run inside the event's transaction: a notification exists exactly when its event
committed. Each one calls a ``notify_*`` function of ``events``, which holds its own savepoint
and logs its faults (``_never_raises``): telling people never breaks the event itself.
"""

from typing import Any

from django.contrib.auth.models import User
from django.utils.functional import Promise

from accounts.models import Team
from accounts.signals import invitation_created, team_changed
from benchmarks.models import Phase, Split
from benchmarks.signals import results_published
from review.models import Objection
from review.signals import objection_raised
from submissions.models import Submission
from submissions.signals import phase_revealed, submission_done

from .events import (
    notify_invitation_mail,
    notify_objection_raised,
    notify_phase_revealed,
    notify_results_published,
    notify_submission_done,
    notify_team_change,
)


def on_submission_done(sender: type[Submission], *, submission_id: int, **_: Any) -> None:
    notify_submission_done(submission_id=submission_id)


def on_results_published(sender: type[Split], *, split: Split, **_: Any) -> None:
    notify_results_published(split=split)


def on_phase_revealed(sender: type[Phase], *, phase: Phase, **_: Any) -> None:
    notify_phase_revealed(phase=phase)


def on_team_changed(
    sender: type[Team],
    *,
    users: list[User],
    subject: str | Promise,
    body: str | Promise,
    link: str,
    **_: Any,
) -> None:
    notify_team_change(users=users, subject=subject, body=body, link=link)


def on_invitation_created(sender: type[Team], *, invitation_id: int, **_: Any) -> None:
    notify_invitation_mail(invitation_id=invitation_id)


def on_objection_raised(sender: type[Objection], *, objection: Objection, **_: Any) -> None:
    notify_objection_raised(objection_id=objection.pk)


def connect() -> None:
    """Connect every receiver (idempotent: each has a dispatch_uid)."""
    submission_done.connect(on_submission_done, dispatch_uid="notifications.submission_done")
    results_published.connect(on_results_published, dispatch_uid="notifications.results")
    phase_revealed.connect(on_phase_revealed, dispatch_uid="notifications.phase_revealed")
    team_changed.connect(on_team_changed, dispatch_uid="notifications.team_changed")
    invitation_created.connect(on_invitation_created, dispatch_uid="notifications.invitation")
    objection_raised.connect(on_objection_raised, dispatch_uid="notifications.objection_raised")

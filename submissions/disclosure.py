"""Which results may be shown to whom: the one selector every page, API route, export,
bundle and notification asks before it shows a number (protocol §5, disclosure policy).

A result on a public split is shown to everyone. A result on a hidden (or out-of-distribution)
split is shown once a publication moment follows its submission (benchmarks.disclosure);
before that its numbers reach organizers only, never the team, whose own page, CLI, API and
mails show that it is withheld. With a public fraction, the public part of a hidden result
(``Result.parts["public"]``) is shown at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from benchmarks.disclosure import split_disclosed_through
from benchmarks.models import Split

from .models import Result


def result_is_disclosed(*, result: Result, now: dt.datetime | None = None) -> bool:
    """Whether ``result``'s full numbers may be shown to everyone now."""
    cutoff = split_disclosed_through(split=result.split, now=now)
    return cutoff is not None and result.submission.created_at <= cutoff


def result_visible_to(*, result: Result, user: User | AnonymousUser | None) -> bool:
    """Whether ``user`` may see ``result``'s full numbers: organizers always, others once
    disclosed. Notifications call this for each recipient before putting a number in a mail."""
    if user is not None and getattr(user, "is_staff", False):
        return True
    return result_is_disclosed(result=result)


def result_public_part(*, result: Result) -> dict[str, Any] | None:
    """The metrics of the hidden result's public part, shown at once (None: no public part)."""
    part = (result.parts or {}).get("public")
    return part if isinstance(part, dict) else None


def results_filter_disclosed(
    *, results: QuerySet[Result], split: Split, now: dt.datetime | None = None
) -> QuerySet[Result]:
    """The results of ``split`` among ``results`` that may be shown to everyone now."""
    cutoff = split_disclosed_through(split=split, now=now)
    if cutoff is None:
        return results.none()
    return results.filter(split=split, submission__created_at__lte=cutoff)


def results_visible_to(*, results: list[Result], user: User | AnonymousUser | None) -> list[Result]:
    """``results`` (of any splits) that ``user`` may see in full, in the same order."""
    return [r for r in results if result_visible_to(result=r, user=user)]


def results_withheld_from(
    *, results: list[Result], user: User | AnonymousUser | None
) -> list[Result]:
    """``results`` whose full numbers ``user`` may not see yet (pages say they exist)."""
    return [r for r in results if not result_visible_to(result=r, user=user)]

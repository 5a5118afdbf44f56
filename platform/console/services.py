"""Organizer edits of phases and track rules, each one audited with its actor and reason.

Saves go through the models, so the audit app's definition receiver writes one
``definition_changed`` entry per row with the before/after of the changed fields; the console
names who did it and why (``definition_change_by``). Values are checked here with named
errors before the database's own constraints can refuse them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from audit.actors import actor_name
from audit.definitions import definition_change_by
from benchmarks.models import Benchmark, Phase, Track
from benchmarks.services import track_results_changed

MAX_FINAL_PICKS = 20


class ConsoleEditRefused(ValueError):
    """The edit cannot be made; ``field`` names the form field it is about ('' for all)."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PhaseValues:
    name: str
    starts_at: datetime
    ends_at: datetime | None
    final_picks: int
    one_team_per_person: bool = True


def _check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ConsoleEditRefused(
            gettext("say why: every console change needs a reason"), field="reason"
        )
    return reason


def _check_phase(values: PhaseValues) -> None:
    if not values.name.strip():
        raise ConsoleEditRefused(gettext("a phase needs a name"), field="name")
    if values.ends_at is not None and values.ends_at <= values.starts_at:
        raise ConsoleEditRefused(
            gettext("the phase must end after it starts (%(end)s is not after %(start)s)")
            % {
                "end": f"{values.ends_at:%Y-%m-%d %H:%M}",
                "start": f"{values.starts_at:%Y-%m-%d %H:%M}",
            },
            field="ends_at",
        )
    if not 0 <= values.final_picks <= MAX_FINAL_PICKS:
        raise ConsoleEditRefused(
            gettext("final picks must be between 0 and %(max)d") % {"max": MAX_FINAL_PICKS},
            field="final_picks",
        )


def _save_changed(row: Phase | Track, fields: Mapping[str, object]) -> list[str]:
    """Set and save the ``fields`` whose value differs from ``row``'s (their names, in order);
    none differing is refused."""
    changed = [name for name, value in fields.items() if getattr(row, name) != value]
    if not changed:
        raise ConsoleEditRefused(gettext("nothing changed"))
    for name in changed:
        setattr(row, name, fields[name])
    _save(row, update_fields=changed)
    return changed


def _save(row: Phase | Track, **kwargs: object) -> None:
    """Save in a savepoint: a constraint the checks above missed (a race) becomes a named
    error, not a broken transaction."""
    try:
        with transaction.atomic():
            row.save(**kwargs)  # type: ignore[arg-type]
    except IntegrityError as exc:
        text = str(exc)
        if "phase_ends_after_start" in text:
            raise ConsoleEditRefused(
                gettext("the phase must end after it starts"), field="ends_at"
            ) from None
        if "phase_slug_per_benchmark" in text:
            raise ConsoleEditRefused(
                gettext("this benchmark already has a phase with that slug"), field="slug"
            ) from None
        raise


def phase_create(
    *, benchmark: Benchmark, slug: str, values: PhaseValues, user: User, reason: str
) -> Phase:
    reason = _check_reason(reason)
    _check_phase(values)
    if Phase.objects.filter(benchmark=benchmark, slug=slug).exists():
        raise ConsoleEditRefused(
            gettext("%(benchmark)s already has a phase %(slug)r: edit that one")
            % {"benchmark": benchmark.name, "slug": slug},
            field="slug",
        )
    phase = Phase(
        benchmark=benchmark,
        slug=slug,
        name=values.name.strip(),
        starts_at=values.starts_at,
        ends_at=values.ends_at,
        final_picks=values.final_picks,
        one_team_per_person=values.one_team_per_person,
    )
    with transaction.atomic(), definition_change_by(actor=actor_name(user), reason=reason):
        _save(phase)
    return phase


def phase_update(*, phase: Phase, values: PhaseValues, user: User, reason: str) -> Phase:
    reason = _check_reason(reason)
    _check_phase(values)
    with transaction.atomic(), definition_change_by(actor=actor_name(user), reason=reason) as ctx:
        row = Phase.objects.select_for_update().get(pk=phase.pk)
        ctx.remember(row)
        fields = {
            "name": values.name.strip(),
            "starts_at": values.starts_at,
            "ends_at": values.ends_at,
            "final_picks": values.final_picks,
            "one_team_per_person": values.one_team_per_person,
        }
        _save_changed(row, fields)
    return row


def track_rules_update(
    *,
    track: Track,
    daily_submission_limit: int | None,
    total_submission_limit: int | None,
    entry_rule: str,
    user: User,
    reason: str,
) -> Track:
    """Quotas (empty: no limit) and the entry rule (best or last) of one track."""
    reason = _check_reason(reason)
    if entry_rule not in Track.EntryRule.values:
        raise ConsoleEditRefused(
            gettext("the entry rule is one of %(rules)s")
            % {"rules": ", ".join(Track.EntryRule.values)},
            field="entry_rule",
        )
    for name, limit in (("daily", daily_submission_limit), ("total", total_submission_limit)):
        if limit is not None and limit < 0:
            raise ConsoleEditRefused(
                gettext("the daily quota cannot be negative")
                if name == "daily"
                else gettext("the total quota cannot be negative"),
                field=f"{name}_submission_limit",
            )
    if (
        daily_submission_limit is not None
        and total_submission_limit is not None
        and daily_submission_limit > total_submission_limit
    ):
        raise ConsoleEditRefused(
            gettext("the daily quota is larger than the total quota"),
            field="daily_submission_limit",
        )
    with transaction.atomic(), definition_change_by(actor=actor_name(user), reason=reason) as ctx:
        row = Track.objects.select_for_update().select_related("benchmark").get(pk=track.pk)
        ctx.remember(row)
        fields = {
            "daily_submission_limit": daily_submission_limit,
            "total_submission_limit": total_submission_limit,
            "entry_rule": entry_rule,
        }
        changed = _save_changed(row, fields)
    if "entry_rule" in changed:
        track_results_changed(track=row)  # the board's row per team may change
    return row

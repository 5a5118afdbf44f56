"""When hidden results are disclosed: the phases' disclosure policies (protocol §5).

Publication is an event, never a switch. Every publication moment of a hidden split discloses
the results of submissions made up to that moment; a submission made after it stays hidden
until the next moment. The moments are an organizer's publication (``Split.published_through``),
the passed moments of a phase's declared ``schedule``, and the end of a phase whose policy is
``at_end``. Public splits are always disclosed. Reads only; writes are in services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext

from .models import Phase, Split


def split_disclosed_through(*, split: Split, now: dt.datetime | None = None) -> dt.datetime | None:
    """Results of submissions made at or before this moment may be shown; None: none yet.

    The moments themselves are the models' (``Split.disclosed_through``,
    ``Phase.publication_moments``), which ``Split.results_visible`` needs too."""
    return split.disclosed_through(now=now)


def phase_at(*, benchmark_id: int, moment: dt.datetime) -> Phase | None:
    """The phase a submission made at ``moment`` belongs to (the latest started if several)."""
    phases = Phase.objects.filter(benchmark_id=benchmark_id, starts_at__lte=moment)
    for phase in phases.order_by("-starts_at"):
        if phase.ends_at is None or moment < phase.ends_at:
            return phase
    return None


def public_part_of(*, benchmark_id: int, moment: dt.datetime) -> tuple[float, int] | None:
    """(fraction, seed) of the public part for a submission made at ``moment``, or None."""
    phase = phase_at(benchmark_id=benchmark_id, moment=moment)
    if phase is None or not phase.public_fraction:
        return None
    return phase.public_fraction, phase.public_seed


def policy_record(*, phase: Phase | None) -> dict[str, Any]:
    """What a Result records of the policy it was scored under."""
    if phase is None:
        return {"phase": None, "publish": Phase.Publish.ORGANIZER, "schedule": []}
    return {
        "phase": phase.slug,
        "publish": phase.publish,
        "schedule": list(phase.publication_schedule or []),
        "public_fraction": phase.public_fraction,
        "public_seed": phase.public_seed,
    }


def policy_summary(*, phase: Phase) -> str:
    """One line for the track page: when hidden numbers of this phase are shown."""
    parts = [
        gettext("hidden results of a submission are shown once a publication moment follows it")
    ]
    when = [gettext("an organizer publishes")]
    if phase.publish == Phase.Publish.AT_END and phase.ends_at is not None:
        when.append(
            gettext("the phase ends (%(when)s UTC)") % {"when": f"{phase.ends_at:%Y-%m-%d %H:%M}"}
        )
    for moment in phase.publication_schedule or []:
        when.append(f"{dt.datetime.fromisoformat(moment):%Y-%m-%d %H:%M} UTC")
    parts.append(gettext("publication moments: %(moments)s") % {"moments": "; ".join(when)})
    if phase.public_fraction:
        parts.append(
            gettext(
                "a fixed %(fraction)s of each hidden split (seed %(seed)s) is its public part, "
                "shown at once; the rest stays private until publication"
            )
            % {"fraction": f"{phase.public_fraction:.0%}", "seed": phase.public_seed}
        )
    return gettext(". ").join(parts) + gettext(".")

"""Console views for phases and track rules (quotas, entry rule): each edit is audited.

Kept apart from the publish/baseline views in home.py; staff only, like the whole console.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from benchmarks.models import Benchmark, Phase, Track

from ..forms import PhaseCreateForm, PhaseForm, ReasonMixin, TrackRulesForm
from ..services import (
    ConsoleEditRefused,
    PhaseValues,
    phase_create,
    phase_update,
    track_rules_update,
)


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_member_required let only staff through
    return request.user


def _values(data: dict[str, Any]) -> PhaseValues:
    return PhaseValues(
        name=data["name"],
        starts_at=data["starts_at"],
        ends_at=data.get("ends_at"),
        final_picks=data["final_picks"],
        one_team_per_person=data.get("one_team_per_person", False),
    )


def _page(request: HttpRequest, form: object, title: str, status: int = 200) -> HttpResponse:
    return render(request, "console/edit.html", {"form": form, "title": title}, status=status)


def _edit(
    request: HttpRequest,
    *,
    form_class: type[ReasonMixin],
    initial: Callable[[], dict[str, Any]],
    title: str,
    save: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """One console edit: GET shows the form filled by ``initial``; POST hands the valid data
    to ``save`` (a service call that returns the success message) and goes home, or shows the
    form again with the service's refusal on its field (400)."""
    if request.method != "POST":
        return _page(request, form_class(initial=initial()), title)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            done = save(form.cleaned_data)
        except ConsoleEditRefused as exc:
            form.refuse(exc)
        else:
            messages.success(request, done)
            return redirect("console-home")
    return _page(request, form, title, status=400)


@staff_member_required
def console_phase_new(request: HttpRequest) -> HttpResponse:
    def initial() -> dict[str, Any]:
        slug = request.GET.get("benchmark", "")
        return {"benchmark": Benchmark.objects.filter(slug=slug).first()}

    def save(data: dict[str, Any]) -> str:
        phase = phase_create(
            benchmark=data["benchmark"],
            slug=data["slug"],
            values=_values(data),
            user=_user(request),
            reason=data["reason"],
        )
        return gettext("Phase %(phase)s is created.") % {"phase": phase}

    return _edit(
        request,
        form_class=PhaseCreateForm,
        initial=initial,
        title=gettext("New phase"),
        save=save,
    )


@staff_member_required
def console_phase_edit(request: HttpRequest, phase_id: int) -> HttpResponse:
    phase = get_object_or_404(Phase.objects.select_related("benchmark"), pk=phase_id)

    def save(data: dict[str, Any]) -> str:
        phase_update(phase=phase, values=_values(data), user=_user(request), reason=data["reason"])
        return gettext("Phase %(phase)s is updated.") % {"phase": phase}

    return _edit(
        request,
        form_class=PhaseForm,
        initial=lambda: {
            "name": phase.name,
            "starts_at": phase.starts_at,
            "ends_at": phase.ends_at,
            "final_picks": phase.final_picks,
            "one_team_per_person": phase.one_team_per_person,
        },
        title=gettext("Phase %(phase)s") % {"phase": phase},
        save=save,
    )


@staff_member_required
def console_track_rules(request: HttpRequest, track_id: int) -> HttpResponse:
    track = get_object_or_404(Track.objects.select_related("benchmark"), pk=track_id)

    def save(data: dict[str, Any]) -> str:
        track_rules_update(
            track=track,
            daily_submission_limit=data["daily_submission_limit"],
            total_submission_limit=data["total_submission_limit"],
            entry_rule=data["entry_rule"],
            user=_user(request),
            reason=data["reason"],
        )
        return gettext("%(track)s: quotas and entry rule are updated.") % {"track": track}

    return _edit(
        request,
        form_class=TrackRulesForm,
        initial=lambda: {
            "daily_submission_limit": track.daily_submission_limit,
            "total_submission_limit": track.total_submission_limit,
            "entry_rule": track.entry_rule,
        },
        title=gettext("Quotas and entry rule of %(track)s") % {"track": track},
        save=save,
    )

"""Console views for phases and track rules (quotas, entry rule): each edit is audited.

Kept apart from the publish/baseline views in home.py; staff only, like the whole console.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from benchmarks.models import Benchmark, Phase, Track

from ..forms import PhaseCreateForm, PhaseForm, TrackRulesForm
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


@staff_member_required
def console_phase_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        benchmark = Benchmark.objects.filter(slug=request.GET.get("benchmark", "")).first()
        return _page(request, PhaseCreateForm(initial={"benchmark": benchmark}), "New phase")
    form = PhaseCreateForm(request.POST)
    if form.is_valid():
        try:
            phase = phase_create(
                benchmark=form.cleaned_data["benchmark"],
                slug=form.cleaned_data["slug"],
                values=_values(form.cleaned_data),
                user=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ConsoleEditRefused as exc:
            form.refuse(exc)
        else:
            messages.success(request, gettext("Phase %(phase)s is created.") % {"phase": phase})
            return redirect("console-home")
    return _page(request, form, gettext("New phase"), status=400)


@staff_member_required
def console_phase_edit(request: HttpRequest, phase_id: int) -> HttpResponse:
    phase = get_object_or_404(Phase.objects.select_related("benchmark"), pk=phase_id)
    title = gettext("Phase %(phase)s") % {"phase": phase}
    if request.method != "POST":
        initial = {
            "name": phase.name,
            "starts_at": phase.starts_at,
            "ends_at": phase.ends_at,
            "final_picks": phase.final_picks,
            "one_team_per_person": phase.one_team_per_person,
        }
        return _page(request, PhaseForm(initial=initial), title)
    form = PhaseForm(request.POST)
    if form.is_valid():
        try:
            phase_update(
                phase=phase,
                values=_values(form.cleaned_data),
                user=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ConsoleEditRefused as exc:
            form.refuse(exc)
        else:
            messages.success(request, gettext("Phase %(phase)s is updated.") % {"phase": phase})
            return redirect("console-home")
    return _page(request, form, title, status=400)


@staff_member_required
def console_track_rules(request: HttpRequest, track_id: int) -> HttpResponse:
    track = get_object_or_404(Track.objects.select_related("benchmark"), pk=track_id)
    title = gettext("Quotas and entry rule of %(track)s") % {"track": track}
    if request.method != "POST":
        initial = {
            "daily_submission_limit": track.daily_submission_limit,
            "total_submission_limit": track.total_submission_limit,
            "entry_rule": track.entry_rule,
        }
        return _page(request, TrackRulesForm(initial=initial), title)
    form = TrackRulesForm(request.POST)
    if form.is_valid():
        try:
            track_rules_update(
                track=track,
                daily_submission_limit=form.cleaned_data["daily_submission_limit"],
                total_submission_limit=form.cleaned_data["total_submission_limit"],
                entry_rule=form.cleaned_data["entry_rule"],
                user=_user(request),
                reason=form.cleaned_data["reason"],
            )
        except ConsoleEditRefused as exc:
            form.refuse(exc)
        else:
            messages.success(
                request, gettext("%(track)s: quotas and entry rule are updated.") % {"track": track}
            )
            return redirect("console-home")
    return _page(request, form, title, status=400)

"""Pages for final picks: a team's picks per phase, and the pick/unpick buttons."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import Team
from accounts.selectors import team_is_member
from benchmarks.models import Phase

from ..models import Submission
from ..picks import PickForbidden, PickRefused, final_pick_add, final_pick_remove
from ..selectors import (
    final_pick_candidates,
    final_pick_list,
    phase_is_open,
    phase_list_for_team,
)


@login_required
def team_picks(request: HttpRequest, team_slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=team_slug)
    is_member = team_is_member(team=team, user=request.user)
    if not is_member and not request.user.is_staff:
        raise Http404("no such team page")  # outsiders learn nothing of a team's picks
    now = timezone.now()
    phases = []
    for phase in phase_list_for_team(team=team):
        picks = list(final_pick_list(phase=phase, team=team))
        picked = {p.submission_id for p in picks}
        phases.append(
            {
                "phase": phase,
                "open": phase_is_open(phase=phase, now=now) and phase.revealed_at is None,
                "picks": picks,
                "candidates": [
                    s for s in final_pick_candidates(phase=phase, team=team) if s.pk not in picked
                ],
            }
        )
    return render(
        request,
        "submissions/picks.html",
        {"team": team, "phases": phases, "can_change": is_member},
    )


@login_required
@require_POST
def pick_change(request: HttpRequest, phase_id: int, submission_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    phase = get_object_or_404(Phase.objects.select_related("benchmark"), pk=phase_id)
    submission = get_object_or_404(
        Submission.objects.select_related("team", "track"), pk=submission_id
    )
    action = request.POST.get("action")
    try:
        if action == "pick":
            final_pick_add(phase=phase, submission=submission, user=user)
            messages.success(
                request,
                gettext("Submission #%(number)s is a final pick.") % {"number": submission.pk},
            )
        elif action == "unpick":
            final_pick_remove(phase=phase, submission=submission, user=user)
            messages.success(
                request,
                gettext("Submission #%(number)s is no longer a final pick.")
                % {"number": submission.pk},
            )
        else:
            messages.error(request, gettext("Unknown action: choose pick or unpick."))
    except PickForbidden:
        raise Http404("no such submission") from None  # outsiders learn nothing
    except PickRefused as exc:
        messages.error(request, gettext("Not changed: %(why)s.") % {"why": exc})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("team-picks", team_slug=submission.team.slug)

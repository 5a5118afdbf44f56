"""The organizer console: the flows the Django admin makes awkward, each through a service.

Staff only. Publishing or hiding hidden results and marking baseline teams are audited by the
services they call; every action asks for a reason.
"""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from accounts.models import Team
from benchmarks.models import Benchmark, Split
from benchmarks.services import split_publish_results
from submissions.services import team_set_baseline

from ..selectors import definition_drift


@staff_member_required
def console_home(request: HttpRequest) -> HttpResponse:
    benchmarks = Benchmark.objects.prefetch_related("tracks__splits", "phases").order_by("name")
    return render(
        request,
        "console/home.html",
        {
            "benchmarks": benchmarks,
            "teams": Team.objects.order_by("name"),
            "drift": definition_drift(),
        },
    )


@staff_member_required
@require_POST
def console_split_publication(request: HttpRequest, split_id: int) -> HttpResponse:
    split = get_object_or_404(Split.objects.select_related("track__benchmark"), pk=split_id)
    publish = request.POST.get("publish") == "1"
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, gettext("Say why: publishing or hiding results needs a reason."))
        return redirect("console-home")
    split_publish_results(
        split=split, published=publish, actor=request.user.get_username(), reason=reason
    )
    if publish:
        messages.success(
            request,
            gettext(
                "Results of %(split)s are published for submissions made up to now; later ones "
                "stay hidden until the next publication."
            )
            % {"split": split},
        )
    else:
        messages.success(
            request, gettext("Results of %(split)s are hidden again.") % {"split": split}
        )
    return redirect("console-home")


@staff_member_required
@require_POST
def console_team_baseline(request: HttpRequest, team_id: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=team_id)
    team_set_baseline(team=team, is_baseline=request.POST.get("baseline") == "1")
    messages.success(
        request,
        (
            gettext("%(team)s is now a baseline team.")
            if team.is_baseline
            else gettext("%(team)s is no longer a baseline team.")
        )
        % {"team": team.name},
    )
    return redirect("console-home")

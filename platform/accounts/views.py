from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from submissions.selectors import submission_list_for_team, team_quota_lines

from .forms import SignupForm, TeamCreateForm
from .models import Team
from .selectors import team_is_member
from .services import team_create
from .throttles import SignupThrottle, retry_after


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST":
        throttle = SignupThrottle()
        if not throttle.allow(request):
            response = render(
                request,
                "accounts/signup.html",
                {"form": SignupForm(), "throttled": True},
                status=429,
            )
            response["Retry-After"] = retry_after(throttle)
            return response
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome! Create a team or ask a team owner to add you.")
        return redirect("team-new")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def team_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required let only signed-in users through
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = team_create(name=form.cleaned_data["name"], owner=user)
        messages.success(request, f"Team {team.name} created.")
        return redirect("team-detail", slug=team.slug)
    return render(request, "accounts/team_new.html", {"form": form})


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    is_member = team_is_member(team=team, user=request.user)
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "is_member": is_member,
            "members": team.memberships.select_related("user").order_by("user__username"),
            "submissions": submission_list_for_team(
                team=team, include_unfinished=is_member or request.user.is_staff
            )[:100],
            "quotas": team_quota_lines(team=team, now=timezone.now()) if is_member else [],
        },
    )

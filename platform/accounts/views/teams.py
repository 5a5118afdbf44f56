from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from ..forms import SignupForm, TeamCreateForm
from ..services import team_create
from ..throttles import SignupThrottle, retry_after


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
        login(request, user, backend="accounts.backends.CachedModelBackend")
        messages.success(
            request,
            gettext("Welcome! Create a team, or open the invitation link a team's owner sent you."),
        )
        return redirect("team-new")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
def team_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required let only signed-in users through
    form = TeamCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = team_create(name=form.cleaned_data["name"], owner=user)
        messages.success(request, gettext("Team %(team)s created.") % {"team": team.name})
        return redirect("team-detail", slug=team.slug)
    return render(request, "accounts/team_new.html", {"form": form})

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from submissions.selectors import submission_list_for_team, team_quota_lines

from ..forms import InvitationForm, SignupForm, TeamCreateForm
from ..models import Membership, Team
from ..selectors import invitation_list_open, invitation_path, team_is_member, team_role
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
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
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


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    is_member = team_is_member(team=team, user=request.user)
    role = team_role(team=team, user=request.user) if is_member else None
    is_owner = role == Membership.Role.OWNER
    invitations = invitation_list_open(team=team, now=timezone.now()) if is_owner else []
    return render(
        request,
        "accounts/team_detail.html",
        {
            "team": team,
            "is_member": is_member,
            "role": role,
            "is_owner": is_owner,
            "invitations": [
                (i, request.build_absolute_uri(invitation_path(invitation=i))) for i in invitations
            ],
            "invitation_form": InvitationForm() if is_owner else None,
            "members": team.memberships.select_related("user").order_by("user__username"),
            "submissions": submission_list_for_team(
                team=team, include_unfinished=is_member or request.user.is_staff
            )[:100],
            "quotas": team_quota_lines(team=team, now=timezone.now()) if is_member else [],
        },
    )

"""Team membership pages: invitations (link or mail), accept and decline, leave, remove a
member, transfer the ownership. Each action is one service call; refusals are shown as is."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from ..forms import InvitationForm
from ..invitations import BadInvitationToken, invitation_token_read
from ..models import Invitation, Team
from ..selectors import invitation_refusal, team_is_member
from ..services import (
    TeamActionRefused,
    TeamPermissionDenied,
    invitation_accept,
    invitation_create,
    invitation_decline,
    invitation_revoke,
    team_leave,
    team_remove_member,
    team_transfer_ownership,
)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required let only signed-in users through
    return user


def _team_action(
    request: HttpRequest, slug: str, action: Callable[[Team], object], success: str
) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    try:
        action(team)
    except (TeamActionRefused, TeamPermissionDenied) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("team-detail", slug=team.slug)


@login_required
@require_POST
def team_invite(request: HttpRequest, slug: str) -> HttpResponse:
    form = InvitationForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, gettext("Enter a valid e-mail address, or leave it empty for a link.")
        )
        return redirect("team-detail", slug=slug)
    email = form.cleaned_data["email"]
    success = (
        gettext("An invitation is on its way to %(address)s.") % {"address": email}
        if email
        else gettext("A new invitation link.")
    )
    return _team_action(
        request,
        slug,
        lambda team: invitation_create(team=team, user=_user(request), email=email),
        success,
    )


@login_required
@require_POST
def team_invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, team__slug=slug)
    return _team_action(
        request,
        slug,
        lambda team: invitation_revoke(invitation=invitation, user=_user(request)),
        "The invitation is withdrawn.",
    )


@login_required
@require_POST
def team_leave_view(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    try:
        team_leave(team=team, user=_user(request))
    except TeamActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("team-detail", slug=team.slug)
    messages.success(request, gettext("You left %(team)s.") % {"team": team})
    return redirect("home")


@login_required
@require_POST
def team_member_remove(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id)
    return _team_action(
        request,
        slug,
        lambda team: team_remove_member(team=team, user=_user(request), member=member),
        f"{member.get_username()} is no longer a member.",
    )


@login_required
@require_POST
def team_member_make_owner(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    member = get_object_or_404(User, pk=user_id)
    return _team_action(
        request,
        slug,
        lambda team: team_transfer_ownership(team=team, user=_user(request), new_owner=member),
        f"{member.get_username()} now owns the team; you are a member.",
    )


def invitation_detail(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation link opens: who invites to which team; accept or decline."""
    try:
        invitation_id = invitation_token_read(token)
    except BadInvitationToken as exc:
        return render(request, "accounts/invitation.html", {"error": str(exc)}, status=400)
    invitation = (
        Invitation.objects.select_related("team", "created_by").filter(pk=invitation_id).first()
    )
    if invitation is None:
        raise Http404("no such invitation")
    refusal = invitation_refusal(invitation=invitation, now=timezone.now())
    if request.method == "POST" and refusal is None:
        if request.POST.get("answer") == "decline":
            invitation_decline(
                invitation=invitation,
                user=request.user if isinstance(request.user, User) else None,
            )
            messages.info(
                request,
                gettext("You declined the invitation to %(team)s.") % {"team": invitation.team},
            )
            return redirect("home")
        if not request.user.is_authenticated:
            return redirect(f"/login/?next={request.path}")
        try:
            invitation_accept(invitation=invitation, user=_user(request))
        except TeamActionRefused as exc:
            refusal = str(exc)
        else:
            messages.success(request, gettext("Welcome to %(team)s!") % {"team": invitation.team})
            return redirect("team-detail", slug=invitation.team.slug)
    return render(
        request,
        "accounts/invitation.html",
        {
            "invitation": invitation,
            "refusal": refusal,
            "is_member": team_is_member(team=invitation.team, user=request.user),
        },
        status=200 if refusal is None else 409,
    )

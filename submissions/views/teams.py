"""A team's page (``/teams/<slug>/``): members, invitations, submissions and quotas."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from accounts.forms import InvitationForm
from accounts.models import Membership, Team
from accounts.selectors import invitation_list_open, invitation_path, team_is_member, team_role

from ..selectors import submission_list_for_team, team_quota_lines


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's page: its members and open invitations (for its owners), and its submissions
    and quotas. Here, not in accounts, because it lists submissions."""
    team = get_object_or_404(Team, slug=slug)
    is_member = team_is_member(team=team, user=request.user)
    role = team_role(team=team, user=request.user) if is_member else None
    is_owner = role == Membership.Role.OWNER
    invitations = invitation_list_open(team=team, now=timezone.now()) if is_owner else []
    return render(
        request,
        "submissions/team_detail.html",
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

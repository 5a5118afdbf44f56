from datetime import datetime

from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse
from django.utils.translation import gettext

from .invitations import invitation_token
from .models import Invitation, Team


def team_effective(team: Team) -> Team:
    """The team a team's submissions count and rank for: the one it was merged into, if any."""
    return team.merged_into if team.merged_into_id else team  # type: ignore[return-value]


def team_and_merged(team: Team) -> list[Team]:
    """A team with every team merged into it: whose submissions its quotas and picks count."""
    return [team, *Team.objects.filter(merged_into=team).order_by("pk")]


def team_list_for_user(*, user: User | AnonymousUser) -> list[Team]:
    if not user.is_authenticated:
        return []
    return list(Team.objects.filter(memberships__user=user).order_by("name"))


def team_role(*, team: Team, user: User | AnonymousUser) -> str | None:
    """The person's role in the team ("owner", "member"), or None."""
    if not user.is_authenticated:
        return None
    return team.memberships.filter(user=user).values_list("role", flat=True).first()


def team_is_member(*, team: Team, user: User | AnonymousUser) -> bool:
    return user.is_authenticated and team.memberships.filter(user=user).exists()


def invitation_refusal(*, invitation: Invitation, now: datetime) -> str | None:
    """Why this invitation can no longer be used, or None."""
    if invitation.revoked_at is not None:
        return gettext("this invitation was withdrawn")
    if invitation.accepted_at is not None and not invitation.is_link:
        return gettext("this invitation was used already")
    if invitation.declined_at is not None:
        return gettext("this invitation was declined")
    if invitation.expires_at <= now:
        return gettext("this invitation has expired; ask the team's owner for a new one")
    return None


def invitation_list_open(*, team: Team, now: datetime) -> list[Invitation]:
    """The team's invitations that can still be used (shown to its owners)."""
    rows = Invitation.objects.filter(team=team, revoked_at__isnull=True, expires_at__gt=now)
    return [i for i in rows if invitation_refusal(invitation=i, now=now) is None]


def invitation_path(*, invitation: Invitation) -> str:
    """The site path an invitation's link opens."""
    return reverse("invitation-detail", args=[invitation_token(invitation_id=invitation.pk)])

from django.contrib.auth.models import AnonymousUser, User

from .models import Team


def team_list_for_user(*, user: User | AnonymousUser) -> list[Team]:
    if not user.is_authenticated:
        return []
    return list(Team.objects.filter(memberships__user=user).order_by("name"))


def team_is_member(*, team: Team, user: User | AnonymousUser) -> bool:
    return user.is_authenticated and team.memberships.filter(user=user).exists()

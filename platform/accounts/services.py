from django.contrib.auth.models import User
from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Team


@transaction.atomic
def team_create(*, name: str, owner: User | None = None, is_baseline: bool = False) -> Team:
    team = Team.objects.create(name=name, slug=slugify(name), is_baseline=is_baseline)
    if owner is not None:
        Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    return team


def team_add_member(*, team: Team, user: User) -> Membership:
    membership, _ = Membership.objects.get_or_create(team=team, user=user)
    return membership


def user_create(*, username: str, password: str, is_staff: bool = False) -> User:
    user = User.objects.create_user(username=username, password=password)
    if is_staff:
        user.is_staff = True
        user.is_superuser = True
        user.save(update_fields=["is_staff", "is_superuser"])
    return user

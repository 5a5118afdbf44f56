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


def team_set_baseline(*, team: Team, is_baseline: bool) -> Team:
    """Mark a team's rows as the platform's reference methods (shown apart on leaderboards)."""
    from benchmarks.models import Track
    from benchmarks.services import track_results_changed

    Team.objects.filter(pk=team.pk).update(is_baseline=is_baseline)
    team.refresh_from_db(fields=["is_baseline"])
    for track in (
        Track.objects.filter(submissions__team=team).distinct().select_related("benchmark")
    ):
        track_results_changed(track=track)
    return team

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from .models import Submission


def submission_list_for_user(*, user: User | AnonymousUser) -> QuerySet[Submission]:
    queryset = Submission.objects.select_related("team", "track", "track__benchmark")
    if getattr(user, "is_staff", False):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    return queryset.filter(team__memberships__user=user)


def submission_can_see_logs(*, submission: Submission, user: User | AnonymousUser) -> bool:
    """Log tails may echo inputs or a team's own code: owning team and organizers only."""
    if getattr(user, "is_staff", False):
        return True
    return user.is_authenticated and submission.team.memberships.filter(user=user).exists()

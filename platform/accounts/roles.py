"""The reviewer role: a Django group. Organizers (staff) may do whatever reviewers may."""

from django.contrib.auth.models import AnonymousUser, Group, User

REVIEWERS_GROUP = "reviewers"


def reviewer_group() -> Group:
    group, _ = Group.objects.get_or_create(name=REVIEWERS_GROUP)
    return group


def user_is_reviewer(user: User | AnonymousUser) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return user.groups.filter(name=REVIEWERS_GROUP).exists()

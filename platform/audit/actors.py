"""How a user is named in the audit log."""

from django.contrib.auth.models import AnonymousUser, User


def actor_name(user: User | AnonymousUser | None) -> str:
    if user is None or not user.is_authenticated:
        return "system"
    return user.get_username()

import functools
from collections.abc import Callable

from django.http import HttpRequest

from .selectors import notification_unread_count


def unread_notifications(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """The unread count for the header, counted only when a page shows it (signed in)."""
    return {"unread_notifications": functools.partial(notification_unread_count, user=request.user)}

"""Who may open organizer pages that refuse rather than redirect: organizers (staff).

There is no per-benchmark organizer role: staff organize every benchmark. Someone not logged in
is sent to the login page; a logged-in person who is not an organizer gets 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse


def organizer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (request.user.is_active and request.user.is_staff):
            raise PermissionDenied("organizers only")
        return view(request, *args, **kwargs)

    return wrapped

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """The floor: a view that does nothing but go through the same middleware."""
    return HttpResponse("<!doctype html><title>bare</title><p>ok</p>")


def bare_user(request: HttpRequest) -> HttpResponse:
    """The floor of any signed-in page: the same, plus reading who is signed in (the session
    and user rows), which the bare view never does because Django reads them lazily."""
    return HttpResponse(f"<!doctype html><title>bare</title><p>{request.user.get_username()}</p>")


urlpatterns = [
    path("__bare__/", bare),
    path("__bare_user__/", bare_user),
    path("", include("forgerybench_site.urls")),
]

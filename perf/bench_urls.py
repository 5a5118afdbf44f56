from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def bare(request: HttpRequest) -> HttpResponse:
    """The floor: a view that does nothing but go through the same middleware."""
    return HttpResponse("<!doctype html><title>bare</title><p>ok</p>")


urlpatterns = [path("__bare__/", bare), path("", include("forgerybench_site.urls"))]

"""Serve the probe and metrics endpoints before host checks, sessions and CSRF.

Kubernetes probes and Prometheus address a pod by its IP, which is not in ALLOWED_HOSTS; these
endpoints reveal no user data, so they answer any host. Everything else passes through.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import views

ENDPOINTS: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/livez": views.live,
    "/healthz": views.health,
    "/metrics": views.metrics,
}


class OpsEndpointsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = ENDPOINTS.get(request.path_info.rstrip("/") or "/")
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
        return view(request)

"""Liveness, readiness (health) and Prometheus metrics; routed by OpsEndpointsMiddleware."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from lib.clientip import client_ip, ip_in_networks

from .health import UnknownCheck, health_run
from .metrics import metrics_registry


def live(request: HttpRequest) -> HttpResponse:
    """The process serves requests; nothing else is checked (a restart would not help)."""
    return HttpResponse("ok\n", content_type="text/plain")


def health(request: HttpRequest) -> HttpResponse:
    """200 when every check passes, 503 naming each failure; `?check=a,b` picks checks."""
    names = request.GET.get("check")
    try:
        checks = health_run(names=names.split(",") if names else None)
    except UnknownCheck as exc:
        return JsonResponse({"status": "error", "error": str(exc)}, status=400)
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "fail",
        "checks": {c.name: {"ok": c.ok, "detail": c.detail, "seconds": c.seconds} for c in checks},
    }
    return JsonResponse(body, status=200 if ok else 503)


def metrics(request: HttpRequest) -> HttpResponse:
    """Private: with a token configured, only its bearer; without, only the operators'
    networks (FORGERYBENCH_METRICS_NETWORKS), judged by the client address the trusted proxy
    reports. OpsEndpointsMiddleware routes `/metrics` and `/metrics/` here alike."""
    token = settings.FORGERYBENCH_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return HttpResponse("metrics need a bearer token\n", status=401)
    elif not ip_in_networks(client_ip(request), settings.FORGERYBENCH_METRICS_NETWORKS):
        return HttpResponse("metrics are private\n", status=403)
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)

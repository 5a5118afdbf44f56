"""Readiness checks: can this process do its job right now?

Each check answers within a couple of seconds and never raises: a failing dependency is a
`Check(ok=False, detail=...)`, so one probe reports every broken part at once.
"""

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from celery import current_app
from django.conf import settings
from django.core.cache import caches
from django.db import connection

CHECK_TIMEOUT_SECONDS = 3


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    seconds: float


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return f"{connection.vendor} answers"


def check_broker() -> str:
    with current_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)
        return f"{conn.transport_cls} broker answers"


def check_cache() -> str:
    """A read from the shared cache (sessions, signed-in users, leaderboards): a wrong
    CACHE_LOCATION, a refused credential or a cache server that is down fails it."""
    cache = caches["default"]
    cache.get("health-probe")
    return f"{type(cache).__name__} answers"


def check_docker() -> str:
    import docker  # only this operator's check talks to an engine (.importlinter allows it)

    client = docker.from_env(timeout=CHECK_TIMEOUT_SECONDS)
    try:
        version = client.version()
    finally:
        client.close()
    return f"engine {version.get('Version', '?')} (API {version.get('ApiVersion', '?')})"


def check_disk() -> str:
    data_dir = Path(settings.DATA_DIR)
    usage = shutil.disk_usage(data_dir)
    free_mb = usage.free // (1024 * 1024)
    minimum = settings.FORGERYBENCH_HEALTH_MIN_FREE_MB
    detail = f"{free_mb} MiB free of {usage.total // (1024 * 1024)} MiB under {data_dir}"
    if free_mb < minimum:
        raise RuntimeError(f"{detail}; below the minimum of {minimum} MiB")
    return detail


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "broker": check_broker,
    "cache": check_cache,
    "docker": check_docker,
    "disk": check_disk,
}


class UnknownCheck(ValueError):
    """A health check name that does not exist."""


def health_run(*, names: list[str] | None = None) -> list[Check]:
    """Run the named checks (default: FORGERYBENCH_HEALTH_CHECKS) and report each."""
    selected = names if names is not None else list(settings.FORGERYBENCH_HEALTH_CHECKS)
    unknown = [name for name in selected if name not in CHECKS]
    if unknown:
        raise UnknownCheck(
            f"unknown health check(s) {', '.join(unknown)}; known: {', '.join(CHECKS)}"
        )
    results = []
    for name in selected:
        start = time.perf_counter()
        try:
            detail, ok = CHECKS[name](), True
        except Exception as exc:  # a probe reports failures; it must not crash
            detail, ok = f"{type(exc).__name__}: {exc}", False
        results.append(Check(name, ok, detail, round(time.perf_counter() - start, 4)))
    return results

"""The shared cache's Redis client gives up on a server that stops answering.

A server that accepts connections and never replies (a hung or overloaded cache, a network path
that drops replies) must fail a cache read within the configured timeout instead of holding
the request forever. The settings are loaded in a child process with the deployments' cache
variables; the silent server is a plain TCP listener of the test's own.
"""

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# In the child: the settings as a deployment loads them, one cache read, how it ended.
PROBE = """
import json, time
import django
django.setup()
from django.conf import settings
from django.core.cache import cache
started = time.monotonic()
try:
    cache.get("leaderboard")
    outcome = "answered"
except Exception as exc:
    outcome = f"{type(exc).__module__}.{type(exc).__name__}"
print(json.dumps({"outcome": outcome, "seconds": time.monotonic() - started,
                  "options": settings.CACHES["default"]["OPTIONS"]}))
"""


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on a local port that accepts every connection and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)  # kept open, read from never, answered never

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
        for conn in accepted:
            conn.close()


def _probe(port: int, **variables: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "forgerybench_site.settings",
        "CACHE_BACKEND": "django.core.cache.backends.redis.RedisCache",
        "CACHE_LOCATION": f"redis://127.0.0.1:{port}/0",
        **variables,
    }
    env.pop("CACHE_LOCATION_FILE", None)
    completed = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_a_cache_read_from_a_silent_server_fails_within_the_timeout(silent_server: int) -> None:
    result = _probe(silent_server)
    assert result["outcome"] == "redis.exceptions.TimeoutError", result
    assert 0.9 <= result["seconds"] < 3, result
    assert result["options"] == {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}


def test_the_timeouts_are_configurable(silent_server: int) -> None:
    result = _probe(silent_server, CACHE_SOCKET_TIMEOUT="0.3", CACHE_SOCKET_CONNECT_TIMEOUT="0.5")
    assert result["outcome"] == "redis.exceptions.TimeoutError", result
    assert 0.25 <= result["seconds"] < 1, result
    assert result["options"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.3}


def test_a_bad_timeout_is_refused_naming_the_variable(silent_server: int) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "forgerybench_site.settings",
            "CACHE_BACKEND": "django.core.cache.backends.redis.RedisCache",
            "CACHE_LOCATION": f"redis://127.0.0.1:{silent_server}/0",
            "CACHE_SOCKET_TIMEOUT": "1s",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert completed.returncode != 0
    assert "CACHE_SOCKET_TIMEOUT='1s' is not a number" in completed.stderr

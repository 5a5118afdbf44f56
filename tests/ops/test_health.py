"""/livez and /healthz against the real database, Redis broker, Docker engine and disk."""

import pytest
from django.test import Client, override_settings

from forgerybench_site.celery import app

pytestmark = [pytest.mark.django_db, pytest.mark.services]

ALL = "database,broker,docker,disk"


@pytest.fixture
def client() -> Client:
    # Probes address pods by IP, which is never in ALLOWED_HOSTS.
    return Client(HTTP_HOST="10.42.0.17")


def test_live_answers_any_host(client: Client) -> None:
    response = client.get("/livez")
    assert response.status_code == 200 and response.content == b"ok\n"


def test_health_is_ok_when_every_part_answers(client: Client) -> None:
    response = client.get(f"/healthz?check={ALL}")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "broker", "docker", "disk"}
    assert body["checks"]["database"]["detail"] == "postgresql answers"
    assert "engine" in body["checks"]["docker"]["detail"]


def test_a_dead_broker_fails_the_probe_and_names_it(client: Client) -> None:
    real = app.conf.broker_read_url
    app.conf.update(broker_read_url="redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        response = client.get(f"/healthz?check={ALL}")
    finally:
        app.conf.update(broker_read_url=real)
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "fail"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


def test_the_cache_check_reads_the_shared_cache_and_names_a_broken_one(client: Client) -> None:
    assert client.get("/healthz?check=cache").json()["checks"]["cache"]["ok"] is True
    assert "cache" in client.get("/healthz").json()["checks"], "checked by default"
    redis = "django.core.cache.backends.redis.RedisCache"
    with override_settings(CACHES={"default": {"BACKEND": redis, "LOCATION": _redis_url()}}):
        check = client.get("/healthz?check=cache").json()["checks"]["cache"]
        assert check["ok"] is True and check["detail"] == "RedisCache answers"
    for broken in (
        "redis://127.0.0.1:1/0",  # nothing listens on port 1
        _redis_url().replace("redis://", "redis://forgerybench-nobody:wrong@"),  # refused user
    ):
        with override_settings(CACHES={"default": {"BACKEND": redis, "LOCATION": broken}}):
            response = client.get("/healthz?check=database,cache")
        body = response.json()
        assert response.status_code == 503, broken
        assert body["checks"]["cache"]["ok"] is False and body["checks"]["database"]["ok"]


def _redis_url() -> str:
    """The test run's own Redis database (the broker's), read only: a GET of an absent key."""
    url = app.conf.broker_read_url or app.conf.broker_url
    assert url.startswith("redis://"), url
    return url


def test_a_missing_engine_fails_the_docker_check(client: Client, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    body = client.get("/healthz?check=docker").json()
    assert body["checks"]["docker"]["ok"] is False


@override_settings(FORGERYBENCH_HEALTH_MIN_FREE_MB=1 << 40)
def test_a_full_disk_fails_the_probe(client: Client) -> None:
    response = client.get("/healthz?check=disk")
    assert response.status_code == 503
    assert "below the minimum" in response.json()["checks"]["disk"]["detail"]


def test_an_unknown_check_is_a_named_error(client: Client) -> None:
    response = client.get("/healthz?check=database,coffee")
    assert response.status_code == 400
    assert "coffee" in response.json()["error"]


def test_probes_refuse_writes(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_the_health_command_exits_non_zero_on_failure() -> None:
    from django.core.management import CommandError, call_command

    call_command("health", check="database,disk")
    with (
        override_settings(FORGERYBENCH_HEALTH_MIN_FREE_MB=1 << 40),
        pytest.raises(CommandError, match="unhealthy: disk"),
    ):
        call_command("health", check="disk")

"""Shared fixtures: real Docker, test images built from the offline base, a real Celery worker.

`make test` sets FORGERYBENCH_REQUIRE_SERVICES=1 and starts every service first, so there a
missing service fails the run; a bare `pytest` skips what it cannot reach instead.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import docker.errors
import pytest

from tests.support import unavailable

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_IMAGES = ROOT / "tests" / "fixtures" / "images"
BASE_IMAGE = "forgerybench/base:latest"


@pytest.fixture(scope="session")
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        unavailable(f"no Docker engine answers: {exc}")
    return client


@pytest.fixture(scope="session")
def base_image(docker_client: docker.DockerClient) -> str:
    try:
        docker_client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        unavailable(f"{BASE_IMAGE} missing: run deploy/images/build_baselines.sh")
    return BASE_IMAGE


@pytest.fixture(scope="session")
def test_image(docker_client: docker.DockerClient, base_image: str) -> Callable[[str], str]:
    """Build (once per session, layer-cached) a tiny image from tests/fixtures/images/NAME."""
    built: dict[str, str] = {}

    def build(name: str) -> str:
        if name not in built:
            image, _ = docker_client.images.build(
                path=str(FIXTURE_IMAGES / name),
                tag=f"forgerybench-test/{name}:latest",
                buildargs={"BASE_IMAGE": base_image},
                pull=False,
                rm=True,
            )
            built[name] = image.id or ""
        return built[name]

    return build


@pytest.fixture(scope="session")
def baseline_image(docker_client: docker.DockerClient) -> Callable[[str], str]:
    def get(name: str) -> str:
        reference = f"forgerybench/baseline-{name}:latest"
        try:
            return docker_client.images.get(reference).id or ""
        except docker.errors.ImageNotFound:
            unavailable(f"{reference} missing: run deploy/images/build_baselines.sh")
            raise

    return get


def _database_url(settings_dict: dict[str, object]) -> str:
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@{settings_dict['HOST']}:"
        f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}"
    )


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: object) -> Iterator[subprocess.Popen]:
    """One real worker process for the whole session, on the test database and broker."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        unavailable(
            "end-to-end tests need DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…"
        )
    env = dict(os.environ, DATABASE_URL=_database_url(connection.settings_dict))
    log_path = Path(settings.DATA_DIR) / "worker.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    celery = [sys.executable, "-m", "celery", "-A", "forgerybench_site"]
    subprocess.run(
        [*celery, "purge", "-f", "-Q", "score,cpu,gpu"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                *celery,
                "worker",
                "-Q",
                "score,cpu,gpu",
                "-c",
                "1",
                "-l",
                "INFO",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.3)
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def smoke_track(db: None):  # type: ignore[no-untyped-def]
    """Smoke-Detect at a tenth of its size: 20 public val and 40 hidden test samples."""
    from benchmarks.smoke_install import smoke_detect_install

    benchmark = smoke_detect_install(scale=0.1)
    return benchmark.tracks.get(slug="image")


@pytest.fixture
def people(db: None):  # type: ignore[no-untyped-def]
    """Three users: a team owner, a teammate and an outsider; plus an organizer."""
    from types import SimpleNamespace

    from accounts.services import team_add_member, team_create, user_create

    owner = user_create(username="owner", password="pw-owner-123")
    teammate = user_create(username="teammate", password="pw-teammate-123")
    outsider = user_create(username="outsider", password="pw-outsider-123")
    organizer = user_create(username="organizer", password="pw-organizer-123", is_staff=True)
    team = team_create(name="Team Owl", owner=owner)
    team_add_member(team=team, user=teammate)
    return SimpleNamespace(
        owner=owner, teammate=teammate, outsider=outsider, organizer=organizer, team=team
    )


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (leaderboards are cached across requests)."""
    from django.conf import settings

    if settings.configured:  # evaluator tests may run without Django (-p no:django)
        from django.core.cache import cache

        cache.clear()
    yield

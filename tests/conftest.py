"""Shared fixtures: real Docker, test images built from the offline base, a real Celery worker.

`make test` sets FORGERYBENCH_REQUIRE_SERVICES=1 and starts every service first, so there a
missing service fails the run; a bare `pytest` skips what it cannot reach instead.
"""

import email
import email.message
import email.policy
import mailbox
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import docker
import docker.errors
import pytest

from tests.support import APP_PASSWORD, APP_ROLE, unavailable

pytest_plugins = ["tests.session_leaks"]

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
def app_database_url(django_db_setup: None, django_db_blocker: Any) -> str:
    """The test database as the application role sees it, the way a deployment runs.

    The test process is the owner (it created the database and ran the migrations); then, as
    the migrate step does, ``db_app_role`` grants the less-privileged application role
    (deploy/scripts/ensure-services.sh creates it). Worker processes connect with this URL.
    """
    import psycopg2
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql":
        unavailable("the application role needs DATABASE_URL=postgres://…")
    with django_db_blocker.unblock():
        call_command("db_app_role", role=APP_ROLE, verbosity=0)
    url = _database_url({**connection.settings_dict, "USER": APP_ROLE, "PASSWORD": APP_PASSWORD})
    try:
        psycopg2.connect(url).close()
    except psycopg2.OperationalError as exc:
        unavailable(f"the application role {APP_ROLE} cannot log in: {exc}")
    return url


class SmtpServer:
    """A real SMTP server process (aiosmtpd) that stores every delivered mail in a Maildir."""

    def __init__(self, host: str, port: int, maildir: Path) -> None:
        self.host, self.port, self.maildir = host, port, maildir

    def messages(self) -> list[email.message.EmailMessage]:
        box = mailbox.Maildir(self.maildir, create=False)
        found = []
        for key in sorted(box.keys()):  # keys start with the delivery time
            raw = box.get_bytes(key)
            found.append(email.message_from_bytes(raw, policy=email.policy.default))
        return found

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages() if address in str(m["To"])]

    def wait_for(
        self, address: str, count: int = 1, timeout: float = 60, subject: str = ""
    ) -> list:
        """The mails to `address` (whose subject contains `subject`) once `count` arrived."""
        deadline = time.monotonic() + timeout
        found: list = []
        while time.monotonic() < deadline:
            found = [m for m in self.to(address) if subject in " ".join(str(m["Subject"]).split())]
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"{len(found)} mail(s) to {address} after {timeout} s")

    def clear(self) -> None:
        box = mailbox.Maildir(self.maildir, create=False)
        for key in list(box.keys()):
            box.discard(key)


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpServer]:
    """`python -m aiosmtpd` on a free local port for the whole session."""
    maildir = tmp_path_factory.mktemp("smtp") / "maildir"
    mailbox.Maildir(maildir, create=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-u",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                stderr = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"the SMTP server did not start: {stderr[-2000:]}")
            time.sleep(0.1)
    yield SmtpServer("127.0.0.1", port, maildir)
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def mail(smtp_server: SmtpServer, settings) -> SmtpServer:  # type: ignore[no-untyped-def]
    """This process sends through the real SMTP server (pytest-django would keep mail in
    memory); the maildir starts empty."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 10},
        }
    }
    smtp_server.clear()
    return smtp_server


@pytest.fixture(scope="session")
def _agent_stack(app_database_url: str, smtp_server: SmtpServer) -> Iterator[SimpleNamespace]:
    """The real processes for the whole session, on the test database and broker: the web
    server (the agent API) and a Django worker on the score queue, both as the application
    role and mailing through the session's SMTP server, and one run agent on cpu,gpu (which
    gets no database URL and no secret key)."""
    from django.conf import settings

    from tests.agents import AgentStack, agent_broker_url

    if not settings.CELERY_BROKER_URL.startswith("redis"):
        unavailable(
            "end-to-end tests need DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://…"
        )
    database_url = app_database_url
    env = dict(os.environ, DATABASE_URL=database_url)
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "celery", "-A", "forgerybench_site", "purge", "-f", "-Q",
         "score,cpu,gpu"],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    stack = AgentStack(data_dir)
    token = "fba_session-" + secrets.token_hex(12)
    name = f"session-{settings.FORGERYBENCH_INSTANCE}"
    broker = settings.CELERY_BROKER_URL
    mail_env = {"EMAIL_HOST": smtp_server.host, "EMAIL_PORT": str(smtp_server.port)}
    try:
        web = stack.web(database_url=database_url, broker_url=broker, name="session", env=mail_env)
        worker = stack.score_worker(
            database_url=database_url, broker_url=broker, name="session", env=mail_env
        )
        agent = stack.agent(
            platform_url=web.url,
            broker_url=agent_broker_url(broker, name),
            token=token,
            name=name,
        )
        yield SimpleNamespace(
            web=web, worker=worker, agent=agent, token=token, name=name, stack=stack
        )
    finally:
        stack.stop_all()


@pytest.fixture
def celery_worker(_agent_stack: SimpleNamespace, django_db_blocker: object) -> SimpleNamespace:
    """The session's worker, web server and run agent, with the agent's credential present in
    this test's database (transactional tests start from an empty one)."""
    from tests.agents import ensure_credential

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        ensure_credential(_agent_stack.name, _agent_stack.token)
    return _agent_stack


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


@pytest.fixture
def score(people, smoke_track):  # type: ignore[no-untyped-def]
    """Submit an image for the owner's team, run and score it in-process (real Docker)."""
    from submissions.models import Status
    from submissions.pipeline import submission_score
    from submissions.services import submission_create_from_image
    from tests.agents import submission_run_here

    def go(image: str, *, team=None, method: str = "test method"):  # type: ignore[no-untyped-def]
        submission = submission_create_from_image(
            team=team or people.team,
            track=smoke_track,
            # Another team is sent by no one of Owl's: one person, one team per phase.
            user=people.owner if team is None else None,
            image_reference=image,
            method_name=method,
            training_data="other: nothing",
        )
        submission_run_here(submission_id=submission.pk)
        submission.refresh_from_db()
        assert submission.status == Status.SCORING, submission.failure_reason
        submission_score(submission_id=submission.pk)
        submission.refresh_from_db()
        assert submission.status == Status.FINISHED, submission.failure_reason
        return submission

    return go


@pytest.fixture
def reviewer(db: None):  # type: ignore[no-untyped-def]
    from accounts.services import user_create
    from review.services import reviewer_add

    user = user_create(username="reviewer", password="pw-reviewer-123")
    reviewer_add(user=user)
    return user


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Each test starts with an empty cache (leaderboards are cached across requests)."""
    from django.conf import settings

    if settings.configured:  # evaluator tests may run without Django (-p no:django)
        from django.core.cache import caches

        for cache in caches.all():
            cache.clear()
    yield

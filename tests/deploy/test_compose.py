"""deploy/compose.yaml: valid for Docker Compose itself, and wired the way operations need."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "deploy" / "compose.yaml"
MAKE_SECRETS = ROOT / "deploy" / "scripts" / "make-secrets.sh"


def _compose_command() -> list[str]:
    """Compose v2 (`docker compose`) where present, else the standalone `docker-compose`."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    from tests.support import unavailable

    unavailable("no Docker Compose: deploy/scripts/ensure-services.sh compose installs it")
    raise AssertionError  # unreachable


def _mounts(service: dict) -> dict[str, dict]:
    """Volumes by target; Compose v1 prints short `source:target:mode` strings, v2 mappings."""
    mounts = {}
    for volume in service.get("volumes", []):
        if isinstance(volume, str):
            source, target, *_ = volume.split(":")
            volume = {"source": source, "target": target}
        mounts[volume["target"]] = volume
    return mounts


@pytest.fixture(scope="module")
def secrets_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("secrets")
    subprocess.run([str(MAKE_SECRETS), str(folder)], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module")
def resolved(secrets_dir: Path) -> dict:
    """What Compose itself makes of the file, every profile on, as it would run it."""
    completed = subprocess.run(
        [*_compose_command(), "-f", str(COMPOSE_FILE), "--profile", "gpu", "config"],
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "SECRETS_DIR": str(secrets_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return yaml.safe_load(completed.stdout)


def test_compose_accepts_the_file(resolved: dict) -> None:
    assert set(resolved["services"]) == {
        "postgres",
        "redis",
        "migrate",
        "web",
        "nginx",
        "worker-cpu",
        "worker-score",
        "worker-gpu",
        "beat",
    }


def test_a_broken_file_is_refused(tmp_path: Path, secrets_dir: Path) -> None:
    broken = yaml.safe_load(COMPOSE_FILE.read_text())
    broken["services"]["web"]["depends_on"] = {"migrate": {"condition": "whenever"}}
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    completed = subprocess.run(
        [*_compose_command(), "-f", str(path), "config", "-q"],
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "SECRETS_DIR": str(secrets_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode != 0


def test_secrets_come_from_files_never_from_the_file_itself(resolved: dict, secrets_dir) -> None:
    for name, secret in resolved["secrets"].items():
        assert Path(secret["file"]) == secrets_dir / name
        assert (secrets_dir / name).stat().st_mode & 0o077 == 0, f"{name} is readable by others"
    url = (secrets_dir / "database_url").read_text()
    owner_url = (secrets_dir / "database_owner_url").read_text()
    assert url.startswith("postgres://forgerybench_app:")
    assert (secrets_dir / "app_db_password").read_text().strip() in url
    assert owner_url.startswith("postgres://forgerybench:")
    assert (secrets_dir / "postgres_password").read_text().strip() in owner_url
    for name in ("web", "worker-cpu", "worker-score", "worker-gpu", "beat", "migrate"):
        env = resolved["services"][name]["environment"]
        assert env["SECRET_KEY_FILE"] == "/run/secrets/secret_key"
        assert not any("PASSWORD" in key and not key.endswith("_FILE") for key in env)


def _secret_names(service: dict) -> set[str]:
    return {s if isinstance(s, str) else s["source"] for s in service.get("secrets", [])}


def test_only_the_migrate_step_holds_the_database_owner(resolved: dict) -> None:
    owner_secrets = {"database_owner_url", "app_db_password", "postgres_password"}
    migrate = resolved["services"]["migrate"]
    assert migrate["environment"]["DATABASE_URL_FILE"] == "/run/secrets/database_owner_url"
    assert _secret_names(migrate) >= {"database_owner_url", "app_db_password"}
    command = " ".join(migrate["command"])
    assert command.index("migrate --noinput") < command.index("db_app_role")
    assert migrate["environment"]["FORGERYBENCH_DB_APP_ROLE"] == "forgerybench_app"
    for name, service in resolved["services"].items():
        if name in ("migrate", "postgres"):
            continue
        assert not _secret_names(service) & owner_secrets, f"{name} holds an owner secret"
        env = service.get("environment") or {}
        if "DATABASE_URL_FILE" in env:
            assert env["DATABASE_URL_FILE"] == "/run/secrets/database_url", name


def test_the_gpu_worker_reserves_nvidia_gpus_and_pins_one_per_run(resolved: dict) -> None:
    gpu = resolved["services"]["worker-gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert gpu["environment"]["FORGERYBENCH_GPU_DEVICES"] == "0"
    command = gpu["command"] if isinstance(gpu["command"], str) else " ".join(gpu["command"])
    assert "-Q gpu -c 1 " in command and "--prefetch-multiplier 1" in command
    assert gpu["profiles"] == ["gpu"]


def test_workers_see_the_data_folder_at_the_host_path_and_the_host_engine(resolved) -> None:
    for name in ("worker-cpu", "worker-gpu"):
        service = resolved["services"][name]
        assert service["privileged"] is True  # loop mounts for the capped /output
        mounts = _mounts(service)
        data = mounts["/srv/forgerybench/data"]
        assert data["source"] == data["target"], "the engine is given worker paths"
        assert data["bind"]["propagation"] == "rshared"
        assert mounts["/var/run/docker.sock"]["source"] == "/var/run/docker.sock"


def _queues(service: dict) -> set[str]:
    command = service["command"]
    words = command.split() if isinstance(command, str) else command
    return set(words[words.index("-Q") + 1].split(","))


def test_every_queue_has_a_worker_and_scores_have_their_own(resolved: dict) -> None:
    from submissions.queues import ALL_QUEUES

    services = resolved["services"]
    workers = {name: _queues(s) for name, s in services.items() if name.startswith("worker-")}
    assert set().union(*workers.values()) == set(ALL_QUEUES)
    assert workers["worker-cpu"] == {"cpu", "score"}
    assert workers["worker-score"] == {"score"}, "results never wait behind queued runs"
    assert workers["worker-gpu"] == {"gpu"}, "a GPU is never held by a score"
    assert not services["worker-score"].get("privileged"), "scoring needs no mount rights"


def test_web_is_probed_on_health_and_only_nginx_is_published(resolved: dict) -> None:
    services = resolved["services"]
    assert "/healthz" in " ".join(services["web"]["healthcheck"]["test"])
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"nginx"}
    conf = (ROOT / "deploy" / "nginx" / "forgerybench.conf").read_text()
    assert "server web:8000;" in conf and "proxy_request_buffering off;" in conf
    assert "client_max_body_size 0;" in conf


def test_beat_runs_the_schedule_that_holds_the_sweeper(resolved: dict) -> None:
    from django.conf import settings

    command = resolved["services"]["beat"]["command"]
    assert "beat" in (command if isinstance(command, str) else " ".join(command))
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "submissions.sweep" in tasks


def test_the_queue_and_database_survive_restarts(resolved: dict) -> None:
    services = resolved["services"]
    assert "--appendonly" in services["redis"]["command"]
    assert "/data" in _mounts(services["redis"])
    assert "/var/lib/postgresql/data" in _mounts(services["postgres"])

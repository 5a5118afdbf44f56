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
        "worker-score",
        "agent-cpu",
        "agent-gpu",
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
    for name in ("web", "worker-score", "beat", "migrate"):
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


def _command_words(service: dict) -> list[str]:
    command = service["command"]
    return command.split() if isinstance(command, str) else list(command)


def test_the_gpu_agent_reserves_nvidia_gpus_and_pins_one_per_run(resolved: dict) -> None:
    gpu = resolved["services"]["agent-gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert gpu["environment"]["FORGERYBENCH_GPU_DEVICES"] == "0"
    assert gpu["environment"]["FORGERYBENCH_AGENT_QUEUES"] == "gpu"
    words = _command_words(gpu)
    assert words[:3] == ["python", "-m", "runagent"] and words[words.index("-c") + 1] == "1"
    assert gpu["profiles"] == ["gpu"]


AGENTS = ("agent-cpu", "agent-gpu")
PLATFORM = ("migrate", "web", "worker-score", "beat")
LABEL_HOLDERS = {"database_url", "database_owner_url", "secret_key", "app_db_password"}


def test_agents_hold_no_database_url_no_secret_key_and_no_data_folder(resolved: dict) -> None:
    for name in AGENTS:
        service = resolved["services"][name]
        env = service.get("environment") or {}
        assert not {k for k in env if k.startswith(("DATABASE_URL", "SECRET_KEY"))}, name
        assert "FORGERYBENCH_DATA_DIR" not in env, name
        assert not _secret_names(service) & LABEL_HOLDERS, name
        assert _secret_names(service) == {"agent_token", "agent_broker_url"}
        mounts = _mounts(service)
        assert "/srv/forgerybench/data" not in mounts, f"{name} mounts the data folder (labels)"
        assert not any("labels" in target for target in mounts), name
        assert env["FORGERYBENCH_AGENT_PLATFORM_URL"] == "http://web:8000"
        assert env["FORGERYBENCH_AGENT_BROKER_URL_FILE"] == "/run/secrets/agent_broker_url"


def test_only_agents_hold_the_engine_web_and_the_score_worker_do_not(resolved) -> None:
    for name in AGENTS:
        service = resolved["services"][name]
        assert service["privileged"] is True  # loop mounts for the capped /output
        mounts = _mounts(service)
        scratch = mounts["/srv/forgerybench/agent"]
        assert scratch["source"] == scratch["target"], "the engine is given agent paths"
        assert scratch["bind"]["propagation"] == "rshared"
        assert mounts["/var/run/docker.sock"]["source"] == "/var/run/docker.sock"
    for name in ("web", "worker-score", "beat", "migrate"):
        service = resolved["services"][name]
        assert "/var/run/docker.sock" not in _mounts(service), f"{name} has the engine"
        assert "docker" not in (service.get("environment") or {}).get(
            "FORGERYBENCH_HEALTH_CHECKS", ""
        ), name
        assert not service.get("privileged"), name


def test_the_agents_broker_account_is_an_acl_user_of_their_own(resolved, secrets_dir) -> None:
    redis = resolved["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--aclfile") + 1] == "/run/secrets/redis_acl"
    acl = (secrets_dir / "redis_acl").read_text()
    rules = (ROOT / "deploy" / "redis" / "agent-acl.rules").read_text().strip()
    assert acl.startswith(f"user forgerybench-agent {rules} >")
    assert "user default" not in acl, "the default user is left as it is"
    url = (secrets_dir / "agent_broker_url").read_text()
    assert url.startswith("redis://forgerybench-agent:")
    migrate = " ".join(resolved["services"]["migrate"]["command"])
    register = "agent_credential_create compose-agents --queues cpu,gpu --token-file"
    assert f"{register} /run/secrets/agent_token" in " ".join(migrate.split())


def _queues(service: dict) -> set[str]:
    words = _command_words(service)
    if "runagent" in words:
        return set(service["environment"]["FORGERYBENCH_AGENT_QUEUES"].split(","))
    return set(words[words.index("-Q") + 1].split(","))


def test_every_queue_has_a_consumer_and_runs_go_only_to_agents(resolved: dict) -> None:
    from submissions.queues import ALL_QUEUES

    services = resolved["services"]
    consumers = {
        name: _queues(s) for name, s in services.items() if name.startswith(("worker-", "agent-"))
    }
    assert set().union(*consumers.values()) == set(ALL_QUEUES)
    assert consumers["worker-score"] == {"score"}, "results never wait behind queued runs"
    assert consumers["agent-cpu"] == {"cpu"}
    assert consumers["agent-gpu"] == {"gpu"}, "a GPU is never held by a score"
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

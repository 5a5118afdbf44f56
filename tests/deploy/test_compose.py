"""deploy/compose.yaml: valid for Docker Compose itself, and wired the way operations need."""

import contextlib
import hashlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

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


def _resolve(secrets_dir: Path, **variables: str) -> dict:
    completed = subprocess.run(
        [*_compose_command(), "-f", str(COMPOSE_FILE), "--profile", "gpu", "config"],
        env={"PATH": "/usr/bin:/bin:/usr/local/bin", "SECRETS_DIR": str(secrets_dir), **variables},
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return yaml.safe_load(completed.stdout)


@pytest.fixture(scope="module")
def resolved(secrets_dir: Path) -> dict:
    """What Compose itself makes of the file, every profile on, as it would run it."""
    return _resolve(secrets_dir)


def test_compose_accepts_the_file(resolved: dict) -> None:
    assert set(resolved["services"]) == {
        "postgres",
        "redis",
        "cache",
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
    for path in secrets_dir.iterdir():
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.name in ACL_FILES:
            continue
        assert mode & 0o077 == 0, f"{path.name} is readable by others ({mode:o})"
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


# The Redis servers' ACL files: password hashes only, read by the redis image's own user.
ACL_FILES = ("redis_acl", "cache_acl")


def test_the_acl_files_hold_hashes_only_and_the_redis_user_can_read_them(
    resolved: dict, secrets_dir: Path
) -> None:
    """Compose mounts a file secret with the host file's owner and mode, and the redis image
    runs the server as uid 999: the ACL files are readable by all, and hold no password."""
    passwords = [
        (secrets_dir / name).read_text().strip()
        for name in ("broker_password", "agent_broker_password", "cache_password")
    ]
    for name in ACL_FILES:
        assert name in resolved["secrets"]
        path = secrets_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, name
        text = path.read_text()
        assert not any(password in text for password in passwords), name
        assert not any(word.startswith(">") for word in text.split()), name


def test_an_acl_file_with_a_password_in_clear_stays_the_owners(tmp_path: Path) -> None:
    folder = tmp_path / "secrets"
    subprocess.run([str(MAKE_SECRETS), str(folder)], check=True, capture_output=True)
    cache_acl = folder / "cache_acl"
    cache_acl.write_text(cache_acl.read_text() + "user someone on ~* +get >inclear\n")
    cache_acl.chmod(0o600)
    completed = subprocess.run(
        [str(MAKE_SECRETS), str(folder)], capture_output=True, text=True, check=True
    )
    assert "cache_acl holds a password in clear" in completed.stderr
    assert stat.S_IMODE(cache_acl.stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "redis_acl").stat().st_mode) == 0o644


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


def _acl_users(acl: str) -> dict[str, list[str]]:
    """The rules of each user line of an ACL file, by user name."""
    users = {}
    for line in acl.splitlines():
        words = line.split()
        assert words[0] == "user", line
        users[words[1]] = words[2:]
    return users


def test_the_broker_acl_closes_the_default_user_and_stores_no_password(
    resolved, secrets_dir
) -> None:
    redis = resolved["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--aclfile") + 1] == "/run/secrets/redis_acl"
    acl = (secrets_dir / "redis_acl").read_text()
    users = _acl_users(acl)
    assert set(users) == {"default", "forgerybench-platform", "forgerybench-agent"}
    assert users["default"] == ["on", "nopass", "resetkeys", "resetchannels", "-@all", "+ping"]
    rules = (ROOT / "deploy" / "redis" / "agent-acl.rules").read_text().split()
    platform_rules = (ROOT / "deploy" / "redis" / "platform-acl.rules").read_text().split()
    for user, password_file, expected in (
        ("forgerybench-agent", "agent_broker_password", rules),
        ("forgerybench-platform", "broker_password", platform_rules),
    ):
        password = (secrets_dir / password_file).read_text().strip()
        assert password not in acl, f"{user}'s password is stored in clear"
        digest = hashlib.sha256(password.encode()).hexdigest()
        assert users[user] == [*expected, f"#{digest}"], user
    agent_url = (secrets_dir / "agent_broker_url").read_text().strip()
    agent_password = (secrets_dir / "agent_broker_password").read_text().strip()
    assert agent_url == f"redis://forgerybench-agent:{agent_password}@redis:6379/0"
    platform_url = (secrets_dir / "broker_url").read_text().strip()
    platform_password = (secrets_dir / "broker_password").read_text().strip()
    assert platform_url == f"redis://forgerybench-platform:{platform_password}@redis:6379/0"
    migrate = " ".join(resolved["services"]["migrate"]["command"])
    register = "agent_credential_create compose-agents --queues cpu,gpu --token-file"
    assert f"{register} /run/secrets/agent_token" in " ".join(migrate.split())


def test_an_old_broker_acl_with_an_open_default_user_is_refused(tmp_path: Path) -> None:
    """A redis_acl written before the default user was closed is named, and left as it was."""
    folder = tmp_path / "secrets"
    folder.mkdir()
    old = "user forgerybench-agent on ~cpu +rpush >agentpassword\n"
    (folder / "redis_acl").write_text(old)
    completed = subprocess.run(
        [str(MAKE_SECRETS), str(folder)], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1
    assert "redis_acl defines no default user" in completed.stderr
    assert (folder / "redis_acl").read_text() == old


def test_an_old_installation_moves_to_the_closed_broker_keeping_the_agents_url(
    tmp_path: Path,
) -> None:
    """The upgrade docs/operations.md gives: an old redis_acl (agents' user only, password in
    clear, no platform user yet) is refused; moved aside, the file is written again from the
    kept passwords, so the agents' URL stays valid, and the platform's user is added."""
    folder = tmp_path / "secrets"
    subprocess.run([str(MAKE_SECRETS), str(folder)], check=True, capture_output=True)
    for name in ("broker_password", "broker_url"):
        (folder / name).unlink()
    agent_password = (folder / "agent_broker_password").read_text().strip()
    agent_url = (folder / "agent_broker_url").read_text()
    rules = (ROOT / "deploy" / "redis" / "agent-acl.rules").read_text().strip()
    (folder / "redis_acl").write_text(f"user forgerybench-agent {rules} >{agent_password}\n")
    refused = subprocess.run([str(MAKE_SECRETS), str(folder)], capture_output=True, check=False)
    assert refused.returncode == 1 and not (folder / "broker_url").exists()
    (folder / "redis_acl").rename(tmp_path / "redis_acl.old")
    subprocess.run([str(MAKE_SECRETS), str(folder)], check=True, capture_output=True)
    users = _acl_users((folder / "redis_acl").read_text())
    digest = hashlib.sha256(agent_password.encode()).hexdigest()
    assert users["forgerybench-agent"][-1] == f"#{digest}"
    assert (folder / "agent_broker_url").read_text() == agent_url
    platform_password = (folder / "broker_password").read_text().strip()
    platform_digest = hashlib.sha256(platform_password.encode()).hexdigest()
    assert users["forgerybench-platform"][-1] == f"#{platform_digest}"
    assert platform_password in (folder / "broker_url").read_text()


def test_the_platform_reaches_the_broker_as_its_own_user_and_the_agents_do_not(
    resolved: dict,
) -> None:
    services = resolved["services"]
    for name in PLATFORM:
        env = services[name]["environment"]
        assert env["CELERY_BROKER_URL_FILE"] == "/run/secrets/broker_url", name
        assert "CELERY_BROKER_URL" not in env, f"{name} names the broker without a password"
        assert "broker_url" in _secret_names(services[name]), name
    for name in AGENTS:
        service = services[name]
        assert not _secret_names(service) & {"broker_url", "broker_password", "redis_acl"}, name
        env = service.get("environment") or {}
        assert not {k for k in env if k.startswith("CELERY_")}, name
    holders = {name for name, s in services.items() if "broker_url" in _secret_names(s)}
    assert holders == set(PLATFORM)
    # The broker's health check is an unauthenticated PING, the one thing the default user may.
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


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
    command = services["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "/data" in _mounts(services["redis"])
    assert "/var/lib/postgresql/data" in _mounts(services["postgres"])


def _option(command: list[str], name: str) -> str:
    assert command.count(name) == 1, f"{name} given {command.count(name)} times in {command}"
    return command[command.index(name) + 1]


def _networks(service: dict) -> set[str]:
    """The networks a service joins; none named is the project's default network."""
    return set(service.get("networks") or {"default": None})


def test_the_broker_never_evicts_and_the_cache_is_a_bounded_evicting_server_of_its_own(
    resolved: dict,
) -> None:
    services = resolved["services"]
    broker, cache = services["redis"]["command"], services["cache"]["command"]
    assert _option(broker, "--maxmemory-policy") == "noeviction"
    assert cache[0] == "redis-server"
    assert _option(cache, "--maxmemory") == "256mb"
    assert _option(cache, "--maxmemory-policy") == "allkeys-lru"
    # A cache: nothing on disk, no volume to keep it in.
    assert _option(cache, "--save") == ""
    assert _option(cache, "--appendonly") == "no"
    assert not services["cache"].get("volumes")
    assert _option(cache, "--aclfile") == "/run/secrets/cache_acl"
    assert _secret_names(services["cache"]) == {"cache_acl"}
    assert "redis-cli" in services["cache"]["healthcheck"]["test"]
    # The same image variable as the broker's.
    raw = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    assert raw["cache"]["image"] == raw["redis"]["image"] == "${REDIS_IMAGE:-redis:7}"


def test_the_cache_bound_is_configurable(secrets_dir: Path) -> None:
    cache = _resolve(secrets_dir, CACHE_MAXMEMORY="1gb")["services"]["cache"]
    assert _option(cache["command"], "--maxmemory") == "1gb"


def test_web_and_workers_reach_the_cache_with_its_own_credential_and_agents_do_not(
    resolved: dict, secrets_dir: Path
) -> None:
    services = resolved["services"]
    url = (secrets_dir / "cache_url").read_text().strip()
    password = (secrets_dir / "cache_password").read_text().strip()
    assert url == f"redis://forgerybench-cache:{password}@cache:6379/0"
    assert password not in (secrets_dir / "redis_acl").read_text()
    assert password not in (secrets_dir / "cache_acl").read_text(), "stored as a hash"
    assert "@redis:" not in url
    for name in PLATFORM:
        service = services[name]
        env = service["environment"]
        assert env["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache", name
        assert env["CACHE_LOCATION_FILE"] == "/run/secrets/cache_url", name
        assert "CACHE_LOCATION" not in env, f"{name} names the cache without its credential"
        assert "cache_url" in _secret_names(service), name
        assert "cache" in _networks(service), name
    assert "cache" in services["web"]["environment"]["FORGERYBENCH_HEALTH_CHECKS"].split(",")
    for name in ("web", "worker-score"):
        depends = services[name]["depends_on"]
        # Directly, or through the migrate step that waits for it.
        assert "cache" in depends or "cache" in services["migrate"]["depends_on"], name
    for name in AGENTS:
        service = services[name]
        assert not _secret_names(service) & {"cache_url", "cache_acl", "cache_password"}, name
        assert not {k for k in service.get("environment") or {} if k.startswith("CACHE_")}, name
        assert "cache" not in _networks(service), f"{name} can reach the cache"
        assert "cache" not in (service.get("depends_on") or {}), name
    # The cache answers on its own network only, one with no way out.
    assert _networks(services["cache"]) == {"cache"}
    assert resolved["networks"]["cache"]["internal"] is True
    joined = {name for name, service in services.items() if "cache" in _networks(service)}
    assert joined == {"cache", *PLATFORM}


def test_postgres_answers_the_platform_services_alone_on_a_network_with_no_way_out(
    resolved: dict,
) -> None:
    services = resolved["services"]
    assert _networks(services["postgres"]) == {"database"}
    assert resolved["networks"]["database"]["internal"] is True
    joined = {name for name, service in services.items() if "database" in _networks(service)}
    assert joined == {"postgres", *PLATFORM}


def test_the_agents_join_only_the_network_of_web_and_the_broker(
    resolved: dict, secrets_dir: Path
) -> None:
    """What an agent connects to (web's agent API, the broker) and nothing else: neither
    PostgreSQL nor the cache shares a network with it."""
    services = resolved["services"]
    broker = urlsplit((secrets_dir / "agent_broker_url").read_text().strip()).hostname
    assert broker == "redis"
    for name in AGENTS:
        service = services[name]
        joined = _networks(service)
        assert joined == {"default"}, name
        web = urlsplit(service["environment"]["FORGERYBENCH_AGENT_PLATFORM_URL"]).hostname
        assert web == "web", name
        for peer in (web, broker):
            assert joined & _networks(services[peer]), f"{name} cannot reach {peer}"
        for data in ("postgres", "cache"):
            assert not joined & _networks(services[data]), f"{name} can reach {data}"


def _reply(port: int, *commands: tuple[str, ...]) -> list[str]:
    """The first line of each reply, the commands sent on one connection in order."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        payload = b""
        for words in commands:
            payload += f"*{len(words)}\r\n".encode()
            for word in words:
                payload += f"${len(word.encode())}\r\n{word}\r\n".encode()
        conn.sendall(payload)
        data = b""
        while data.count(b"\r\n") < len(commands):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").split("\r\n")[: len(commands)]


REDIS_IMAGE_UID = 999  # the official redis image's `redis` user, which runs the server


@contextlib.contextmanager
def _serve(
    command: list[str], secrets_dir: Path, workdir: Path, *, acl_file: Path | None = None
) -> Iterator[int]:
    """The service's own redis-server command line, on a free local port, its ACL file the one
    make-secrets.sh wrote (or `acl_file`) and its working folder `workdir`; stopped (SIGTERM)
    when done."""
    if not shutil.which("redis-server"):
        from tests.support import unavailable

        unavailable("redis-server is not installed")
    from tests.reliability.conftest import free_port, wait_for

    acl = Path(_option(command, "--aclfile"))
    assert acl.parent == Path("/run/secrets")
    args = list(command)
    args[args.index("--aclfile") + 1] = str(acl_file or secrets_dir / acl.name)
    port = free_port(6390)
    args += ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir)]
    with (workdir / "redis.log").open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:

        def answers() -> bool:
            try:
                return _reply(port, ("PING",)) == ["+PONG"]
            except OSError:
                assert process.poll() is None, (workdir / "redis.log").read_text()
                return False

        wait_for(answers, 10, f"redis-server on port {port}")
        yield port
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)


def test_the_cache_server_evicts_keeps_nothing_and_lets_in_only_its_user(
    secrets_dir: Path, tmp_path: Path
) -> None:
    """The cache service's command line, run for real (CACHE_MAXMEMORY=4mb so it fills fast):
    the platform's cache client works on its URL, a full cache drops its oldest keys (ones
    without expiry too, like the generation counters) instead of failing writes, the user
    cannot lift the bound, an unauthenticated client can only PING, and nothing is written
    to disk."""
    from django.core.cache.backends.redis import RedisCache

    command = _resolve(secrets_dir, CACHE_MAXMEMORY="4mb")["services"]["cache"]["command"]
    workdir = tmp_path / "data"
    workdir.mkdir()
    with _serve(command, secrets_dir, workdir) as port:
        url = (secrets_dir / "cache_url").read_text().strip()
        url = url.replace("@cache:6379/", f"@127.0.0.1:{port}/")
        cache = RedisCache(url, {})
        try:
            cache.set("session", {"user": 1}, timeout=None)
            assert cache.get("session") == {"user": 1}
            assert cache.add("generation", 10, timeout=None) and cache.incr("generation") == 11
            cache.set_many({"a": 1, "b": 2}, timeout=60)
            assert cache.get_many(["a", "b"]) == {"a": 1, "b": 2}
            assert cache.touch("a", 120) and cache.delete("b") and cache.has_key("a")
            # Ten times the bound, no expiry on any of it: every write is accepted.
            blob = b"x" * 100_000
            for index in range(400):
                cache.set(f"page:{index}", blob, timeout=None)
            assert cache.get("page:399") == blob
            assert cache.get("page:0") is None, "the least recently used keys went first"
            assert cache.get("session") is None and cache.get("generation") is None
            kept = sum(cache.has_key(f"page:{index}") for index in range(400))
            assert 0 < kept < 50
        finally:
            cache._cache.get_client(write=True).connection_pool.disconnect()
        password = (secrets_dir / "cache_password").read_text().strip()
        user = ("AUTH", "forgerybench-cache", password)
        for words in (
            ("CONFIG", "SET", "maxmemory", "0"),
            ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
            ("CONFIG", "SET", "save", "60 1"),
            ("ACL", "SETUSER", "default", "+@all"),
            ("BGSAVE",),
            ("SHUTDOWN",),
            ("FLUSHALL",),
            ("KEYS", "*"),
        ):
            auth, answer = _reply(port, user, words)
            assert auth == "+OK" and answer.startswith("-NOPERM"), (words, answer)
        # What an operator watches (evicted_keys, used_memory) is readable by the user.
        auth, stats = _reply(port, user, ("INFO", "stats"))
        assert auth == "+OK" and stats.startswith("$"), stats
        assert _reply(port, ("AUTH", "forgerybench-cache", "wrong"))[0].startswith("-WRONGPASS")
        for anonymous in (("GET", "page:399"), ("SET", "x", "y"), ("SCAN", "0"), ("INFO",)):
            (answer,) = _reply(port, anonymous)
            assert answer.startswith("-NOPERM"), (anonymous, answer)
    assert {path.name for path in workdir.iterdir()} == {"redis.log"}, "the cache kept files"


def _broker_users(secrets_dir: Path) -> dict[str, tuple[str, ...]]:
    """The AUTH command of each broker user make-secrets.sh made."""
    platform = (secrets_dir / "broker_password").read_text().strip()
    agent = (secrets_dir / "agent_broker_password").read_text().strip()
    return {
        "platform": ("AUTH", "forgerybench-platform", platform),
        "agent": ("AUTH", "forgerybench-agent", agent),
    }


def test_the_broker_command_starts_and_refuses_to_evict(secrets_dir: Path, tmp_path: Path) -> None:
    """The broker's command line, run for real with a small bound added: a full broker refuses
    a new message instead of dropping a queued one."""
    command = _resolve(secrets_dir)["services"]["redis"]["command"]
    platform = _broker_users(secrets_dir)["platform"]
    with _serve([*command, "--maxmemory", "2mb"], secrets_dir, tmp_path) as port:
        blob = "x" * 100_000
        answers = [_reply(port, platform, ("RPUSH", "cpu", blob))[1] for _ in range(60)]
        assert answers[0] == ":1"
        assert answers[-1].startswith("-OOM"), answers[-1]
        queued = int(_reply(port, platform, ("LLEN", "cpu"))[1].lstrip(":"))
        assert queued == sum(answer.startswith(":") for answer in answers), "a message was dropped"


# What an account that is not the platform's must never do on the broker: read or push a score
# task, list or scan keys, read or change the server's configuration, its users or its data.
PLATFORM_ONLY = (
    ("LPUSH", "score", "forged"),
    ("RPUSH", "score:3", "forged"),
    ("RPOP", "score"),
    ("LRANGE", "score", "0", "-1"),
    ("LLEN", "score"),
    ("HSET", "unacked", "tag", "forged"),
    ("HGETALL", "unacked"),
    ("KEYS", "*"),
    ("SCAN", "0"),
    ("CONFIG", "GET", "maxmemory"),
    ("CONFIG", "SET", "appendonly", "no"),
    ("ACL", "LIST"),
    ("ACL", "SETUSER", "default", "+@all"),
    ("FLUSHALL",),
    ("SELECT", "1"),
)


def test_only_the_platform_user_reaches_the_score_queue_and_the_server(
    secrets_dir: Path, tmp_path: Path
) -> None:
    """The broker's command line with the ACL file make-secrets.sh wrote, run for real: an
    unauthenticated client may only PING; the agents' user cannot read or push a score task,
    list keys or touch the configuration, but still does its run-queue work; the platform's
    user does everything, through the platform's own client (kombu, its broker URL)."""
    from django.conf import settings
    from kombu import Connection

    command = _resolve(secrets_dir)["services"]["redis"]["command"]
    users = _broker_users(secrets_dir)
    with _serve(command, secrets_dir, tmp_path) as port:
        url = (secrets_dir / "broker_url").read_text().strip()
        url = url.replace("@redis:6379/", f"@127.0.0.1:{port}/")
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        if not options:  # the suite may run on the filesystem broker: the Redis settings
            options = {"priority_steps": list(range(10)), "sep": ":"}
        with Connection(url, transport_options=options) as conn:
            queue = conn.SimpleQueue("score")
            try:
                queue.put({"task": "scoring"})
                message = queue.get(timeout=5)
                assert message.payload == {"task": "scoring"}
                message.ack()
            finally:
                queue.close()
        assert _reply(port, ("PING",)) == ["+PONG"]
        for words in PLATFORM_ONLY:
            (anonymous,) = _reply(port, words)
            assert anonymous.startswith("-NOPERM"), ("default", words, anonymous)
            auth, agent = _reply(port, users["agent"], words)
            assert auth == "+OK" and agent.startswith("-NOPERM"), ("agent", words, agent)
        # What agent-acl.rules allows the agents still works under the generated file.
        auth, pushed, popped = _reply(
            port, users["agent"], ("RPUSH", "cpu", "run-1"), ("RPOP", "cpu")
        )
        assert (auth, pushed, popped) == ("+OK", ":1", "$5"), (auth, pushed, popped)
        assert _reply(port, ("AUTH", "forgerybench-agent", "wrong"))[0].startswith("-WRONGPASS")
        # The platform's user: everything the others were refused.
        for words in PLATFORM_ONLY[:-3]:
            auth, answer = _reply(port, users["platform"], words)
            assert auth == "+OK" and not answer.startswith("-"), (words, answer)


@contextlib.contextmanager
def _as_the_redis_image_user(command: list[str], secrets_dir: Path) -> Iterator[int]:
    """The service's command line run as the redis image runs it, as uid 999, its ACL file
    mounted as compose mounts a file secret: the host file itself (a hard link: same owner,
    same mode) in a folder anyone may enter."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("running a server as another user needs root and setpriv")
    name = Path(_option(command, "--aclfile")).name
    base = Path(tempfile.mkdtemp(prefix="forgerybench-acl-"))
    try:
        base.chmod(0o755)
        mounted = base / "run-secrets"
        mounted.mkdir(mode=0o755)
        os.link(secrets_dir / name, mounted / name)
        data = base / "data"
        data.mkdir()
        os.chown(data, REDIS_IMAGE_UID, REDIS_IMAGE_UID)
        uid = str(REDIS_IMAGE_UID)
        wrapped = ["setpriv", "--reuid", uid, "--regid", uid, "--clear-groups", *command]
        with _serve(wrapped, secrets_dir, data, acl_file=mounted / name) as port:
            yield port
    finally:
        shutil.rmtree(base)


@pytest.mark.parametrize("service", ["redis", "cache"])
def test_the_servers_start_as_the_redis_image_user_with_the_acl_file(
    service: str, resolved: dict, secrets_dir: Path
) -> None:
    """The broker and the cache, as the image runs them (uid 999, not root), read the ACL file
    make-secrets.sh wrote: they start and know its users."""
    command = resolved["services"][service]["command"]
    with _as_the_redis_image_user(command, secrets_dir) as port:
        assert _reply(port, ("PING",)) == ["+PONG"]
        user, password_file = {
            "redis": ("forgerybench-platform", "broker_password"),
            "cache": ("forgerybench-cache", "cache_password"),
        }[service]
        password = (secrets_dir / password_file).read_text().strip()
        assert _reply(port, ("AUTH", user, password), ("SET", "k", "v")) == ["+OK", "+OK"]

"""deploy/k8s: every manifest valid against the Kubernetes schemas, and wired consistently."""

import ast
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
import yaml

from forgerybench_site.celery import app
from tests.support import unavailable

kubernetes_validate = pytest.importorskip("kubernetes_validate")

K8S = Path(__file__).resolve().parents[2] / "deploy" / "k8s"
KUBERNETES_VERSION = "1.30.0"


def _documents() -> list[dict]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    documents = []
    for name in kustomization["resources"]:
        documents += [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]
    return documents


DOCS = _documents()


def _find(kind: str, name: str) -> dict:
    (doc,) = [d for d in DOCS if d["kind"] == kind and d["metadata"]["name"] == name]
    return doc


def _pod(doc: dict) -> dict:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return doc["spec"]["template"]["spec"]


def test_every_file_of_the_kustomization_exists_and_nothing_is_left_out() -> None:
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk


@pytest.mark.parametrize("doc", DOCS, ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_manifest_is_valid_for_kubernetes(doc: dict) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_an_invalid_manifest_is_caught() -> None:
    broken = yaml.safe_load(yaml.safe_dump(_find("Deployment", "web")))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e.get("value", "") for e in container.get("env", [])}


def test_gpu_agents_request_gpus_and_run_one_container_per_gpu() -> None:
    pod = _pod(_find("Deployment", "agent-gpu"))
    (container,) = pod["containers"]
    gpus = int(container["resources"]["limits"]["nvidia.com/gpu"])
    command = container["command"]
    assert command[:3] == ["python", "-m", "runagent"]
    assert int(command[command.index("-c") + 1]) == gpus
    assert pod["nodeSelector"]["nvidia.com/gpu.present"] == "true"
    assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])
    env = _env(container)
    assert env["FORGERYBENCH_AGENT_QUEUES"] == "gpu"
    # The device plugin's NVIDIA_VISIBLE_DEVICES names the pod's GPUs; locks stay on the node.
    assert "FORGERYBENCH_GPU_DEVICES" not in env
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    lock_volume = mounts[env["FORGERYBENCH_GPU_LOCK_DIR"]]
    assert any(v["name"] == lock_volume and "hostPath" in v for v in pod["volumes"])


AGENTS = ("agent-cpu", "agent-gpu")


def test_agents_hold_no_database_url_no_secret_key_and_no_data_folder() -> None:
    for name in AGENTS:
        pod = _pod(_find("Deployment", name))
        (container,) = pod["containers"]
        assert "envFrom" not in container, f"{name} reads the platform's config map"
        env = _env(container)
        assert not {k for k in env if k.startswith(("DATABASE_URL", "SECRET_KEY"))}, name
        assert "FORGERYBENCH_DATA_DIR" not in env
        secrets = {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        assert secrets == {"forgerybench-agent"}, name
        paths = {v["hostPath"]["path"] for v in pod["volumes"] if "hostPath" in v}
        assert "/srv/forgerybench/data" not in paths, f"{name} mounts the data folder (labels)"
        assert pod["automountServiceAccountToken"] is False


def test_agents_mount_the_node_engine_and_a_scratch_folder_at_its_node_path() -> None:
    for name in AGENTS:
        pod = _pod(_find("Deployment", name))
        (container,) = pod["containers"]
        scratch = next(m for m in container["volumeMounts"] if m["name"] == "scratch")
        assert scratch["mountPropagation"] == "Bidirectional"
        assert container["securityContext"]["privileged"] is True
        volume = next(v for v in pod["volumes"] if v["name"] == "scratch")
        assert volume["hostPath"]["path"] == scratch["mountPath"], "the engine is given pod paths"
        assert _env(container)["FORGERYBENCH_AGENT_DIR"] == scratch["mountPath"]
        assert any(m["mountPath"] == "/var/run/docker.sock" for m in container["volumeMounts"])


def test_no_platform_pod_has_the_engine() -> None:
    """Only the run agents mount the engine's socket: web and the score worker hold none."""
    for doc in DOCS:
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job", "CronJob"):
            continue
        name = doc["metadata"]["name"]
        sockets = [
            v
            for v in _pod(doc).get("volumes", [])
            if v.get("hostPath", {}).get("path") == "/var/run/docker.sock"
        ]
        if name in AGENTS:
            continue
        assert not sockets, f"{name} mounts the engine's socket"


def test_web_probes_use_the_health_endpoints() -> None:
    (container,) = _pod(_find("Deployment", "web"))["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    port_names = {p["name"] for p in container["ports"]}
    assert container["readinessProbe"]["httpGet"]["port"] in port_names


def test_every_queue_has_a_consumer_and_runs_go_only_to_agents() -> None:
    from submissions.queues import ALL_QUEUES

    consumed = {}
    for doc in DOCS:
        name = doc["metadata"]["name"]
        if doc["kind"] == "Deployment" and name.startswith(("worker-", "agent-")):
            (container,) = _pod(doc)["containers"]
            command = container["command"]
            if "runagent" in command:
                consumed[name] = set(_env(container)["FORGERYBENCH_AGENT_QUEUES"].split(","))
            else:
                consumed[name] = set(command[command.index("-Q") + 1].split(","))
    assert set().union(*consumed.values()) == set(ALL_QUEUES)
    assert consumed == {"worker-score": {"score"}, "agent-cpu": {"cpu"}, "agent-gpu": {"gpu"}}
    (scorer,) = _pod(_find("Deployment", "worker-score"))["containers"]
    assert not scorer["securityContext"].get("privileged"), "scoring needs no mount rights"
    assert scorer["livenessProbe"]["exec"]["command"][:3] == ["python", "manage.py", "health"]


CRONJOBS = [d for d in DOCS if d["kind"] == "CronJob"]
SETTINGS = Path(__file__).resolve().parents[2] / "platform" / "forgerybench_site" / "settings.py"


def _call(doc: dict) -> tuple[str, str, float]:
    """The task a CronJob queues, the queue it sends it to and the message's expiry (s)."""
    (container,) = _pod(doc)["containers"]
    command = container["command"]
    assert command[:4] == ["celery", "-A", "forgerybench_site", "call"], command
    return command[4], _option(command, "--queue"), float(_option(command, "--expires"))


def _cron(doc: dict) -> tuple[str, str]:
    """The minute and hour fields of a CronJob's schedule (any day of any month)."""
    minute, hour, *days = doc["spec"]["schedule"].split()
    assert days == ["*", "*", "*"], doc["spec"]["schedule"]
    return minute, hour


def _beat() -> dict[str, Any]:
    from django.conf import settings

    schedule: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE
    return schedule


def test_every_beat_entry_has_a_cronjob_that_queues_its_task_where_beat_does() -> None:
    """Kubernetes runs no beat: each periodic task of CELERY_BEAT_SCHEDULE is a CronJob that
    sends it to the queue beat sends it to, which the score worker reads (never a run agent's
    queue: an agent knows no platform task and drops it). A beat entry added without its
    CronJob fails here; so does a CronJob that queues what beat does not."""
    app.loader.import_default_modules()
    (scorer,) = _pod(_find("Deployment", "worker-score"))["containers"]
    worker = scorer["command"]
    consumed = worker[worker.index("-Q") + 1].split(",")
    calls: dict[str, str] = {}
    for doc in CRONJOBS:
        task, queue, _ = _call(doc)
        assert task in app.tasks, f"{task} is not a registered Celery task"
        assert task not in calls, f"two CronJobs queue {task}"
        assert queue in consumed, f"{doc['metadata']['name']} sends {task} to {queue}"
        calls[task] = queue
    beat = {entry["task"]: entry["options"]["queue"] for entry in _beat().values()}
    for task, queue in beat.items():
        assert task in calls, f"no CronJob queues {task} (a CELERY_BEAT_SCHEDULE entry)"
        assert calls[task] == queue, f"{task}: beat sends it to {queue}, k8s to {calls[task]}"
    assert set(calls) == set(beat)


def _default_digest_hour() -> int:
    """FORGERYBENCH_DIGEST_HOUR's default, as settings.py writes it (whatever this process's
    environment says)."""
    for node in ast.walk(ast.parse(SETTINGS.read_text())):
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["FORGERYBENCH_DIGEST_HOUR"]
            and isinstance(node.value, ast.Call)
        ):
            default = node.value.args[1]
            assert isinstance(default, ast.Constant) and isinstance(default.value, int)
            return default.value
    raise AssertionError(f"no FORGERYBENCH_DIGEST_HOUR = env_int(...) in {SETTINGS}")


def test_the_cronjobs_fire_when_beat_would_and_their_messages_expire_as_beats() -> None:
    """Interval entries: the message expires when the CronJob's next one is due (beat's rule:
    expiry = its interval), so a score worker that was down finds one, not a pile; the flush
    keeps beat's five minutes. Daily entries: beat's minute, beat's expiry, in UTC, at the hour
    the k8s config gives FORGERYBENCH_DIGEST_HOUR (unset there: the setting's default)."""
    from celery.schedules import crontab

    jobs = {_call(doc)[0]: doc for doc in CRONJOBS}
    for name, entry in _beat().items():
        doc = jobs[entry["task"]]
        minute, hour = _cron(doc)
        expires = _call(doc)[2]
        if isinstance(entry["schedule"], float):
            assert hour == "*" and minute.startswith("*/"), f"{name}: {minute} {hour}"
            assert expires == int(minute[2:]) * 60, f"{name}: expires {expires}"
        else:
            assert isinstance(entry["schedule"], crontab), name
            assert doc["spec"]["timeZone"] == "Etc/UTC", "beat's crontab is in UTC (TIME_ZONE)"
            beat_minutes: set[int] = entry["schedule"].minute  # type: ignore[attr-defined]
            assert {int(minute)} == beat_minutes, name
            assert expires == entry["options"]["expires"], name
    flush = jobs["notifications.flush"]
    assert _cron(flush) == ("*/5", "*") and _beat()["flush-notifications"]["schedule"] == 300
    config = _find("ConfigMap", "forgerybench-config")["data"]
    digest_hour = int(config.get("FORGERYBENCH_DIGEST_HOUR", _default_digest_hour()))
    assert _cron(jobs["notifications.digest"]) == ("0", str(digest_hour))


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of this module's own (no test worker reads it), on a free local port."""
    if not shutil.which("redis-server"):
        unavailable("redis-server is not installed")
    from tests.reliability.conftest import free_port, wait_for

    workdir = tmp_path_factory.mktemp("broker")
    port = free_port(6420)
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    args += ["--appendonly", "no", "--dir", str(workdir)]
    with (workdir / "redis.log").open("ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port)
    try:

        def answers() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                assert process.poll() is None, (workdir / "redis.log").read_text()
                return False

        wait_for(answers, 10, f"redis-server on port {port}")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        if process.poll() is None:
            process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("doc", CRONJOBS, ids=lambda d: d["metadata"]["name"])
def test_the_cronjobs_command_queues_its_task_on_the_broker(doc: dict, broker: str) -> None:
    """The CronJob's command line, run for real against a Redis broker: one message for its
    task lands in its queue, with its expiry."""
    task, queue, expires = _call(doc)
    (container,) = _pod(doc)["containers"]
    # No database: postgres' NetworkPolicy does not let the CronJobs in (port 1: refused).
    unreachable = "postgres://nobody:nothing@127.0.0.1:1/nothing"
    env = {**os.environ, "CELERY_BROKER_URL": broker, "DATABASE_URL": unreachable}
    done = subprocess.run(
        [sys.executable, "-m", "celery", *container["command"][1:]],
        cwd=K8S.parents[1] / "platform",
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    task_id = done.stdout.strip()
    client = redis.Redis.from_url(broker)
    try:
        raw = client.lrange(queue, 0, -1)
        client.delete(queue)
    finally:
        client.close()
    messages = [json.loads(m) for m in raw]
    (message,) = [m for m in messages if m["headers"]["id"] == task_id]
    assert message["headers"]["task"] == task
    assert message["properties"]["delivery_info"]["routing_key"] == queue
    sent = datetime.fromisoformat(message["headers"]["expires"]) - datetime.now(UTC)
    assert expires - 30 < sent.total_seconds() <= expires


def test_services_select_their_pods_and_secrets_are_one_named_secret() -> None:
    for service in (d for d in DOCS if d["kind"] == "Service"):
        selector = service["spec"]["selector"]
        targets = [
            d
            for d in DOCS
            if d["kind"] in ("Deployment", "StatefulSet")
            and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()
        ]
        assert targets, f"service {service['metadata']['name']} selects no pods"
    secret_names = {
        v["secret"]["secretName"]
        for d in DOCS
        if d["kind"] in ("Deployment", "StatefulSet", "Job", "CronJob")
        for v in _pod(d).get("volumes", [])
        if "secret" in v
    }
    assert secret_names == {
        "forgerybench-secrets",
        "forgerybench-db-owner",
        "forgerybench-agent",
        "forgerybench-redis",
        "forgerybench-cache",
    }
    config = _find("ConfigMap", "forgerybench-config")["data"]
    assert config["SECRET_KEY_FILE"].startswith("/run/secrets/forgerybench/")


def test_only_postgres_and_the_migrate_job_hold_the_database_owner() -> None:
    holders = {
        d["metadata"]["name"]
        for d in DOCS
        if d["kind"] in ("Deployment", "StatefulSet", "Job", "CronJob")
        for v in _pod(d).get("volumes", [])
        if v.get("secret", {}).get("secretName") == "forgerybench-db-owner"
    }
    assert holders == {"postgres", "migrate"}
    (container,) = _pod(_find("Job", "migrate"))["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["DATABASE_URL_FILE"] == "/run/secrets/forgerybench-owner/database_owner_url"
    assert env["FORGERYBENCH_DB_APP_ROLE"] == "forgerybench_app"
    script = container["command"][-1]
    assert script.index("migrate --noinput") < script.index("db_app_role")
    register = "agent_credential_create k8s-agents --queues cpu,gpu --token-file"
    assert register in " ".join(script.split())
    config = _find("ConfigMap", "forgerybench-config")["data"]
    assert config["DATABASE_URL_FILE"] == "/run/secrets/forgerybench/database_url"


def _args(doc: dict) -> list[str]:
    (container,) = _pod(doc)["containers"]
    return list(container["args"])


def _option(args: list[str], name: str) -> str:
    assert args.count(name) == 1, f"{name} given {args.count(name)} times in {args}"
    return args[args.index(name) + 1]


def _mebibytes(quantity: str) -> float:
    """A Kubernetes memory quantity (Mi, Gi) or a Redis size (mb, gb) in MiB."""
    units = {"Mi": 1, "Gi": 1024, "mb": 1, "gb": 1024}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor
    raise AssertionError(f"unexpected unit in {quantity}")


def test_the_broker_never_evicts_and_the_cache_is_a_bounded_evicting_server_of_its_own() -> None:
    broker = _find("StatefulSet", "redis")
    assert _option(_args(broker), "--maxmemory-policy") == "noeviction"
    assert _option(_args(broker), "--appendonly") == "yes"
    cache = _find("Deployment", "cache")  # nothing to keep: no StatefulSet, no volume claim
    args = _args(cache)
    assert args[0] == "redis-server"
    assert _option(args, "--maxmemory-policy") == "allkeys-lru"
    assert _option(args, "--save") == "" and _option(args, "--appendonly") == "no"
    (container,) = _pod(cache)["containers"]
    (broker_container,) = _pod(broker)["containers"]
    assert container["image"] == broker_container["image"]
    # The server's own memory above the data bound fits in the pod's limit.
    limit = _mebibytes(container["resources"]["limits"]["memory"])
    assert _mebibytes(_option(args, "--maxmemory")) * 1.5 <= limit
    assert "redis-cli" in container["readinessProbe"]["exec"]["command"]
    volumes = _pod(cache)["volumes"]
    assert [v["secret"]["secretName"] for v in volumes] == ["forgerybench-cache"]
    acl = _option(args, "--aclfile")
    (mount,) = container["volumeMounts"]
    assert acl == f"{mount['mountPath']}/cache_acl"
    # The same command line as the compose service, which tests/deploy/test_compose.py runs.
    compose = yaml.safe_load((K8S.parent / "compose.yaml").read_text())["services"]["cache"]
    same = {"${CACHE_MAXMEMORY:-256mb}": "256mb", "/run/secrets/cache_acl": acl}
    assert args == [same.get(word, word) for word in compose["command"]]


def test_web_and_workers_reach_the_cache_with_its_own_credential_and_agents_do_not() -> None:
    (web,) = _pod(_find("Deployment", "web"))["containers"]
    assert "cache" in _env(web)["FORGERYBENCH_HEALTH_CHECKS"].split(","), "a web pod needs it"
    config = _find("ConfigMap", "forgerybench-config")["data"]
    assert config["CACHE_BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert "CACHE_LOCATION" not in config, "the cache's URL holds its password: a secret"
    assert config["CACHE_LOCATION_FILE"] == "/run/secrets/forgerybench/cache_url"
    service = _find("Service", "cache")
    assert service["spec"]["ports"][0]["port"] == 6379
    # Every pod that reads the config map mounts forgerybench-secrets where the file is.
    readers = set()
    for doc in DOCS:
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job", "CronJob"):
            continue
        pod = _pod(doc)
        (container,) = pod["containers"]
        if not container.get("envFrom"):
            assert not any(k.startswith("CACHE_") for k in _env(container)), doc["metadata"]
            continue
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        secrets = {v["name"]: v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
        mounted = {secrets[name]: path for name, path in mounts.items() if name in secrets}
        assert mounted["forgerybench-secrets"] == "/run/secrets/forgerybench", doc["metadata"]
        spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
        labels = spec["template"]["metadata"]["labels"]
        readers.add(labels["app.kubernetes.io/component"])
    assert readers == {
        "web",
        "worker-score",
        "migrate",
        "sweeper",
        "notifications-flush",
        "notifications-digest",
    }
    holders = {
        d["metadata"]["name"]
        for d in DOCS
        if d["kind"] in ("Deployment", "StatefulSet", "Job", "CronJob")
        for v in _pod(d).get("volumes", [])
        if v.get("secret", {}).get("secretName") == "forgerybench-cache"
    }
    assert holders == {"cache"}
    # The network policy lets in exactly the pods that hold the cache's URL: no run agent.
    policy = _find("NetworkPolicy", "cache")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "cache"}
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    (expression,) = source["podSelector"]["matchExpressions"]
    assert expression["key"] == "app.kubernetes.io/component" and expression["operator"] == "In"
    assert set(expression["values"]) == readers
    assert not set(expression["values"]) & set(AGENTS)
    for name in AGENTS:
        labels = _find("Deployment", name)["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/component"] not in expression["values"]


def test_the_platform_reaches_the_broker_as_its_own_user_from_a_secret() -> None:
    """The broker URL holds the platform user's password: a file of forgerybench-secrets, never
    a value of the config map; the agents keep their own restricted URL."""
    config = _find("ConfigMap", "forgerybench-config")["data"]
    assert "CELERY_BROKER_URL" not in config, "the broker's URL holds its password: a secret"
    assert config["CELERY_BROKER_URL_FILE"] == "/run/secrets/forgerybench/broker_url"
    for doc in DOCS:
        if doc["kind"] not in ("Deployment", "StatefulSet", "Job", "CronJob"):
            continue
        (container,) = _pod(doc)["containers"]
        env = _env(container)
        assert "CELERY_BROKER_URL" not in env, doc["metadata"]["name"]
        if container.get("envFrom"):
            mounts = {m["mountPath"] for m in container["volumeMounts"]}
            assert "/run/secrets/forgerybench" in mounts, doc["metadata"]["name"]
    for name in AGENTS:
        (container,) = _pod(_find("Deployment", name))["containers"]
        url_file = _env(container)["FORGERYBENCH_AGENT_BROKER_URL_FILE"]
        assert url_file == "/run/secrets/forgerybench-agent/agent_broker_url"
    (broker,) = _pod(_find("StatefulSet", "redis"))["containers"]
    assert broker["readinessProbe"]["exec"]["command"] == ["redis-cli", "ping"]


REDIS_IMAGE_UID = 999  # the official redis image's `redis` user, which runs the server


def _reads(pod: dict, mode: int) -> bool:
    """Whether the server of a redis pod can read a file of its Secret volume: the kubelet
    writes them root's, of group fsGroup when the pod has one, with the volume's mode; the
    image runs the server as uid 999 (from the start with runAsUser, else it drops to it)."""
    context = pod.get("securityContext", {})
    uid = context.get("runAsUser", REDIS_IMAGE_UID)
    assert uid == REDIS_IMAGE_UID, "the image's entry point expects its own user or root"
    groups = {context.get("runAsGroup", REDIS_IMAGE_UID)}
    if "fsGroup" in context:
        groups.add(context["fsGroup"])
        group = context["fsGroup"]
    else:
        group = 0
    return bool(mode & 0o004 or (group in groups and mode & 0o040))


@pytest.mark.parametrize(("kind", "name"), [("StatefulSet", "redis"), ("Deployment", "cache")])
def test_the_redis_servers_user_can_read_its_acl_file(kind: str, name: str) -> None:
    pod = _pod(_find(kind, name))
    (container,) = pod["containers"]
    acl = Path(_option(container["args"], "--aclfile"))
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == str(acl.parent))
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    mode = volume["secret"]["defaultMode"]
    assert _reads(pod, mode), f"uid 999 cannot read {acl} (mode {mode:o})"
    assert mode & 0o007 == 0, "no other user of the node's pods needs it"
    # Had the pod no fsGroup, root's 0400 files would be unreadable to the server.
    assert not _reads({}, 0o400)
    assert not _reads({"securityContext": {"runAsUser": 999}}, 0o440)


WORKLOADS = ("Deployment", "StatefulSet", "Job", "CronJob")


def _template(doc: dict) -> dict:
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    template: dict = spec["template"]
    return template


def _component(doc: dict) -> str:
    labels = _template(doc)["metadata"]["labels"]
    return str(labels.get("app.kubernetes.io/component", labels["app.kubernetes.io/name"]))


def _admitted(policy: dict) -> tuple[dict, set[str], set[int]]:
    """What a NetworkPolicy guards (its pod selector), the components it lets in, and on
    which ports: one ingress rule, pods of this namespace picked by component."""
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    (rule,) = policy["spec"]["ingress"]
    (source,) = rule["from"]
    assert set(source) == {"podSelector"}, "pods of this namespace only"
    (expression,) = source["podSelector"]["matchExpressions"]
    assert expression["key"] == "app.kubernetes.io/component" and expression["operator"] == "In"
    ports = {p["port"] for p in rule["ports"]}
    assert all(p["protocol"] == "TCP" for p in rule["ports"])
    return policy["spec"]["podSelector"]["matchLabels"], set(expression["values"]), ports


def _guarded(kind: str, name: str) -> set[str]:
    """The components the NetworkPolicy named `name` lets into the pods of kind/name, checked
    to guard those pods (and no other) on every port of their Service."""
    selector, admitted, ports = _admitted(_find("NetworkPolicy", name))
    workload = _find(kind, name)
    guarded = [
        d["metadata"]["name"]
        for d in DOCS
        if d["kind"] in WORKLOADS and selector.items() <= _template(d)["metadata"]["labels"].items()
    ]
    assert guarded == [name], guarded
    assert workload["spec"]["selector"]["matchLabels"] == selector
    assert ports == {p["port"] for p in _find("Service", name)["spec"]["ports"]}
    components = {_component(d) for d in DOCS if d["kind"] in WORKLOADS}
    assert admitted <= components, f"{admitted - components}: no such pods"
    return admitted


def test_postgres_admits_exactly_the_pods_that_query_the_database() -> None:
    """The run agents hold no database URL (the agent API is theirs) and the CronJobs only
    queue a task (their command runs without a database: the broker test above)."""
    admitted = _guarded("StatefulSet", "postgres")
    assert admitted == {"web", "worker-score", "migrate"}
    assert not admitted & set(AGENTS)
    assert not admitted & {_component(d) for d in CRONJOBS}


def test_the_broker_admits_exactly_the_pods_that_hold_a_broker_url() -> None:
    """The platform's pods (broker_url, through the config map's CELERY_BROKER_URL_FILE) and
    the run agents (agent_broker_url); nothing else, the cache and the database included."""
    config = _find("ConfigMap", "forgerybench-config")["data"]
    assert config["CELERY_BROKER_URL_FILE"].startswith("/run/secrets/forgerybench/")
    holders = set()
    for doc in DOCS:
        if doc["kind"] not in WORKLOADS:
            continue
        (container,) = _pod(doc)["containers"]
        if container.get("envFrom") or "FORGERYBENCH_AGENT_BROKER_URL_FILE" in _env(container):
            holders.add(_component(doc))
    admitted = _guarded("StatefulSet", "redis")
    assert admitted == holders
    assert admitted == {
        "web",
        "worker-score",
        "migrate",
        "sweeper",
        "notifications-flush",
        "notifications-digest",
        "agent-cpu",
        "agent-gpu",
    }


def test_every_data_server_has_a_network_policy() -> None:
    policies = {d["metadata"]["name"] for d in DOCS if d["kind"] == "NetworkPolicy"}
    assert policies == {"postgres", "redis", "cache"}


def test_the_agents_reach_web_on_a_port_its_service_serves() -> None:
    service = _find("Service", "web")
    ports = {p["port"] for p in service["spec"]["ports"]}
    for name in AGENTS:
        (container,) = _pod(_find("Deployment", name))["containers"]
        url = urlsplit(_env(container)["FORGERYBENCH_AGENT_PLATFORM_URL"])
        assert url.hostname == "web", name
        assert (url.port or {"http": 80, "https": 443}[url.scheme]) in ports, name


DOCKER_LABEL = "forgerybench.org/docker"
DOCKER_TAINT = {"key": DOCKER_LABEL, "value": "true", "effect": "NoExecute"}
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
PLAIN_NODE: dict = {"labels": {}, "taints": []}
DOCKER_NODE = {"labels": {DOCKER_LABEL: "true"}, "taints": [DOCKER_TAINT]}
GPU_DOCKER_NODE = {
    "labels": {DOCKER_LABEL: "true", "nvidia.com/gpu.present": "true"},
    "taints": [DOCKER_TAINT, GPU_TAINT],
}
# A docker node whose operator forgot the taint: node affinity alone keeps platform pods off.
UNTAINTED_DOCKER_NODE = {"labels": {DOCKER_LABEL: "true"}, "taints": []}


def _matches(expression: dict, labels: dict[str, str]) -> bool:
    key, operator = expression["key"], expression["operator"]
    values = expression.get("values", [])
    if operator == "In":
        return labels.get(key) in values
    if operator == "NotIn":
        return labels.get(key) not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    raise AssertionError(f"operator {operator} not modelled here")


def _tolerates(toleration: dict, taint: dict) -> bool:
    if toleration.get("effect") not in (None, taint["effect"]):
        return False
    if toleration.get("operator", "Equal") == "Exists":
        return toleration.get("key") in (None, taint["key"])
    return bool(toleration.get("key") == taint["key"] and toleration.get("value") == taint["value"])


def _may_run_on(pod: dict, node: dict) -> bool:
    """The scheduler's hard rules for a pod template on a node: nodeSelector, required node
    affinity (any term, every expression of it) and NoSchedule/NoExecute taints."""
    labels = node["labels"]
    if not pod.get("nodeSelector", {}).items() <= labels.items():
        return False
    required = (
        pod.get("affinity", {})
        .get("nodeAffinity", {})
        .get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    if required and not any(
        all(_matches(e, labels) for e in term.get("matchExpressions", []))
        for term in required["nodeSelectorTerms"]
    ):
        return False
    return all(
        any(_tolerates(t, taint) for t in pod.get("tolerations", []))
        for taint in node["taints"]
        if taint["effect"] in ("NoSchedule", "NoExecute")
    )


def test_the_scheduling_model_tells_nodes_apart() -> None:
    """A pod that says nothing runs on an untainted docker node (what the affinity is for)
    and on no tainted one."""
    assert _may_run_on({}, PLAIN_NODE) and _may_run_on({}, UNTAINTED_DOCKER_NODE)
    assert not _may_run_on({}, DOCKER_NODE) and not _may_run_on({}, GPU_DOCKER_NODE)
    gpu_only = {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}]}
    assert not _may_run_on(gpu_only, GPU_DOCKER_NODE)


@pytest.mark.parametrize(
    "doc",
    [d for d in DOCS if d["kind"] in WORKLOADS and d["metadata"]["name"] not in AGENTS],
    ids=lambda d: f"{d['kind']}/{d['metadata']['name']}",
)
def test_every_pod_but_the_agents_is_kept_off_the_docker_nodes(doc: dict) -> None:
    """A privileged agent with the node's engine is root on its node: no platform or data pod
    may share one, tainted or not (a CronJob's or the migrate Job's pods included)."""
    pod = _pod(doc)
    assert _may_run_on(pod, PLAIN_NODE)
    for node in (DOCKER_NODE, GPU_DOCKER_NODE, UNTAINTED_DOCKER_NODE):
        assert not _may_run_on(pod, node), node
    assert not any(t.get("key") in (None, DOCKER_LABEL) for t in pod.get("tolerations", []))


def test_the_agents_run_on_docker_nodes_only() -> None:
    cpu, gpu = (_pod(_find("Deployment", name)) for name in AGENTS)
    assert _may_run_on(cpu, DOCKER_NODE) and not _may_run_on(cpu, PLAIN_NODE)
    assert _may_run_on(gpu, GPU_DOCKER_NODE)
    for node in (PLAIN_NODE, DOCKER_NODE):
        assert not _may_run_on(gpu, node), node

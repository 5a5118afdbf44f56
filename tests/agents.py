"""Run agents in the tests: real agent code, real agent API views, real Docker.

* `run_jobs_here` carries out queued run jobs in this process: the agent's own code
  (runagent.job) talks to the platform's agent API through Django's test client instead of a
  socket, so tests on the `db` fixture (one transaction) see every row it writes.
* `AgentStack` starts real processes: the platform's web server (gunicorn, the agent API), a
  Django worker on the score queue, and a run agent (`python -m runagent`) on cpu,gpu.
"""

from __future__ import annotations

import contextlib
import io
import json as jsonlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]


class _Response:
    def __init__(self, response: Any):
        self.response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def json(self) -> Any:
        return jsonlib.loads(self.response.content)

    def iter_content(self, chunk_size: int) -> Iterator[bytes]:
        if getattr(self.response, "streaming", False):
            # The test client's wrapper closes the response when the stream ends.
            yield from self.response.streaming_content
        else:
            yield self.response.content


class DjangoClientTransport:
    """What runagent.client needs from `requests`, served by Django's test client."""

    def __init__(self) -> None:
        from django.test import Client

        self.client = Client()

    def request(self, method: str, url: str, **kwargs: Any) -> _Response:
        headers = dict(kwargs.get("headers") or {})
        content_type = headers.pop("Content-Type", "application/octet-stream")
        headers.pop("Content-Length", None)
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        data = kwargs.get("data")
        if isinstance(data, io.IOBase):
            # A file (the output bundle): streamed to the view as a real server would,
            # never read whole into this process's memory.
            size = os.fstat(data.fileno()).st_size
            with data:
                response = self.client.request(
                    REQUEST_METHOD=method,
                    PATH_INFO=urlsplit(url).path,
                    CONTENT_LENGTH=str(size),
                    CONTENT_TYPE=content_type,
                    **{"wsgi.input": data},
                    **extra,
                )
            return _Response(response)
        if kwargs.get("json") is not None:
            body: bytes = jsonlib.dumps(kwargs["json"]).encode()
            content_type = "application/json"
        else:
            body = data or b""
        response = self.client.generic(
            method, urlsplit(url).path, data=body, content_type=content_type, **extra
        )
        return _Response(response)


HERE_TOKEN = "fba_in-process-" + secrets.token_hex(8)


def _here_config(gpu_devices: tuple[str, ...] = (), gpu_lock_dir: Path | None = None) -> Any:
    from django.conf import settings

    from runagent.config import AgentConfig

    return AgentConfig(
        platform_url="http://testserver",
        token=HERE_TOKEN,
        broker_url="memory://",
        broker_dir=None,
        work_dir=Path(settings.DATA_DIR) / "agent-here",
        queues=("cpu", "gpu"),
        name=f"here-{settings.FORGERYBENCH_INSTANCE}",
        gpu_devices=gpu_devices,
        gpu_lock_dir=gpu_lock_dir or Path(settings.DATA_DIR) / "gpu-locks",
        allow_uncapped_output=settings.FORGERYBENCH_ALLOW_UNCAPPED_OUTPUT,
    )


def ensure_credential(name: str, token: str, queues: tuple[str, ...] = ("cpu", "gpu")) -> None:
    """NAME's credential is `token`, serving `queues` (as the operator's command makes it)."""
    from runs.services import agent_credential_register

    agent_credential_register(name=name, token=token, queues=queues)


def run_jobs_here(
    *,
    submission_id: int | None = None,
    kinds: tuple[str, ...] = ("run", "ood", "rerun"),
    gpu_devices: tuple[str, ...] = (),
    gpu_lock_dir: Path | None = None,
    limit: int = 50,
) -> list[int]:
    """Carry out queued run jobs in this process (in creation order) until none is left;
    returns the job ids run."""
    import docker

    from runagent.client import PlatformClient
    from runagent.job import run_job
    from runs.models import RunJob

    config = _here_config(gpu_devices, gpu_lock_dir)
    ensure_credential(config.name, config.token)
    client = PlatformClient(
        config.platform_url, config.token, transport=DjangoClientTransport(), retry_seconds=0
    )
    done: list[int] = []
    # Closed at the end: an engine client keeps a pool of connections to the socket, and one
    # left open per call adds up to more descriptors than select() can watch in a long session.
    with contextlib.closing(docker.from_env(timeout=120)) as engine:
        for _ in range(limit):
            jobs = RunJob.objects.filter(state="queued", kind__in=kinds).exclude(pk__in=done)
            if submission_id is not None:
                jobs = jobs.filter(submission_id=submission_id)
            job = jobs.order_by("pk").first()
            if job is None:
                break
            run_job(job_id=job.pk, client=client, engine=engine, config=config)
            done.append(job.pk)
    return done


def submission_run_here(*, submission_id: int, **kwargs: Any) -> list[int]:
    """A submission's run step, carried out here by the agent code (every split)."""
    return run_jobs_here(submission_id=submission_id, kinds=("run",), **kwargs)


def audit_tests_here(**kwargs: Any) -> list[Any]:
    """Queue a Result's audit tests, run their reruns here, compare: the reports."""
    from review.audit_tests import audit_rerun_finish, result_run_audit_tests

    jobs = result_run_audit_tests(**kwargs)
    run_jobs_here(kinds=("rerun",))
    return [audit_rerun_finish(job_id=job.pk) for job in jobs]


ACL_RULES = (ROOT / "deploy" / "redis" / "agent-acl.rules").read_text().split()


def agent_broker_url(broker_url: str, name: str) -> str:
    """A dedicated Redis ACL user for an agent on `broker_url`'s server, limited to the run
    queues by the deployment's own rules; the URL that logs in as it. (Other users, the
    default one included, are left as they are.)"""
    import socket

    parts = urlsplit(broker_url)
    user, password = f"forgerybench-agent-{name}", secrets.token_hex(16)
    # The deployment's rules pin the account to database 0 (no SELECT); a test broker on a
    # shared server uses a database of its own, which this account may select, and no other.
    db = parts.path.strip("/") or "0"
    pin = [f"+select|{db}"] if db != "0" else []
    words = ["ACL", "SETUSER", user, "reset", *ACL_RULES, *pin, f">{password}"]
    payload = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379)) as conn:
        conn.sendall(payload.encode())
        answer = conn.recv(4096).decode()
    if not answer.startswith("+OK"):
        raise AssertionError(f"could not create the agent's broker user: {answer}")
    return f"redis://{user}:{password}@{parts.hostname}:{parts.port}{parts.path}"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: Any, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{tail}")


class AgentStack:
    """Real processes: the platform's web server, a score-queue Django worker (optionally with
    the beat), and run agents. `stop_all` ends every process it started."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.started: list[subprocess.Popen] = []

    def _popen(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        with log.open("ab") as handle:
            process = subprocess.Popen(
                command,
                env=env,
                cwd=ROOT,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append(process)
        return process

    def web(
        self,
        *,
        database_url: str,
        broker_url: str,
        name: str,
        env: dict[str, str] | None = None,
        port: int | None = None,
    ) -> SimpleNamespace:
        port = port or free_port()
        log = self.data_dir / f"web-{name}.log"
        process_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": broker_url,
            "FORGERYBENCH_HEARTBEAT_SECONDS": "1",
            **(env or {}),
        }
        process = self._popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "forgerybench_site.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--timeout",
                "600",
            ],
            process_env,
            log,
        )
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            import urllib.request

            if process.poll() is not None:
                raise AssertionError(f"web {name} exited:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url + "/api/agent/v1/jobs/0/claim", timeout=2)
            except urllib.error.HTTPError:
                return True  # 401/405: it answers
            except OSError:
                return False
            return True

        _wait(answers, 60, f"web server {name}", log)
        restart = {"database_url": database_url, "broker_url": broker_url, "env": env}
        return SimpleNamespace(process=process, log=log, url=url, port=port, restart=restart)

    def score_worker(
        self,
        *,
        database_url: str,
        broker_url: str,
        name: str,
        beat: bool = False,
        env: dict[str, str] | None = None,
    ) -> SimpleNamespace:
        log = self.data_dir / f"worker-{name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "forgerybench_site", "worker",
            "-Q", "score", "-c", "1", "-l", "INFO", "-n", f"{name}@%h",
            "--without-heartbeat", "--without-mingle", "--without-gossip",
        ]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(self.data_dir / f"beat-{name}")]
        process_env = {
            **os.environ,
            "CELERY_BROKER_URL": broker_url,
            "DATABASE_URL": database_url,
            "FORGERYBENCH_HEARTBEAT_SECONDS": "1",
            **(env or {}),
        }
        process = self._popen(command, process_env, log)
        _wait(
            lambda: b"ready." in log.read_bytes() or process.poll() is not None,
            60,
            f"worker {name}",
            log,
        )
        if process.poll() is not None:
            raise AssertionError(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
        return SimpleNamespace(process=process, log=log)

    def agent(
        self,
        *,
        platform_url: str,
        broker_url: str,
        token: str,
        name: str,
        concurrency: int = 1,
        env: dict[str, str] | None = None,
        log_name: str = "",
    ) -> SimpleNamespace:
        """A run agent process: no DATABASE_URL, no SECRET_KEY, no data folder."""
        log = self.data_dir / f"agent-{log_name or name}.log"
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "DOCKER_HOST")}
        process_env = {
            **keep,
            "FORGERYBENCH_AGENT_PLATFORM_URL": platform_url,
            "FORGERYBENCH_AGENT_TOKEN": token,
            "FORGERYBENCH_AGENT_BROKER_URL": broker_url,
            "FORGERYBENCH_AGENT_DIR": str(self.data_dir / f"agent-{name}"),
            "FORGERYBENCH_AGENT_NAME": name,
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        process = self._popen(
            [sys.executable, "-m", "runagent", "-c", str(concurrency), "-n", f"{name}@%h"],
            process_env,
            log,
        )
        _wait(
            lambda: b"ready." in log.read_bytes() or process.poll() is not None,
            60,
            f"agent {name}",
            log,
        )
        if process.poll() is not None:
            raise AssertionError(f"agent {name} did not start:\n{log.read_text()[-3000:]}")
        return SimpleNamespace(process=process, log=log, name=name, text=lambda: log.read_text())

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in reversed(self.started):
            self.stop(process)

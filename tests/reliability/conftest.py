"""Real parts that the reliability tests break on purpose.

The shared Redis and the session's worker are never touched: each test gets its own
redis-server (a free port from 6390 up), its own worker processes on it, and where needed a
TCP proxy in front of PostgreSQL that the test can cut. The test process's own Celery client
is pointed at that Redis while the test runs.
"""

import contextlib
import json
import secrets
import selectors
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def free_port(start: int) -> int:
    for port in range(start, start + 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class OwnRedis:
    """A redis-server without persistence: a restart loses every queued message."""

    def __init__(self, log: Path):
        self.port = free_port(6390)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(lambda: self.ping(), 10, f"redis on port {self.port}")

    def ping(self) -> bool:
        try:
            return self.command("PING") == "+PONG"
        except OSError:
            return False

    def command(self, *words: str) -> str:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as conn:
            payload = f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)
            conn.sendall(payload.encode())
            return conn.recv(4096).decode().split("\r\n")[0]

    def queue_length(self, queue: str) -> int:
        """Messages in `queue` at every priority level (one Redis list per level)."""
        keys = [queue] + [f"{queue}:{level}" for level in range(1, 10)]
        return sum(int(self.command("LLEN", key).lstrip(":")) for key in keys)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


class DbProxy:
    """A TCP proxy to PostgreSQL. `cut()` drops every connection and refuses new ones (they
    are accepted and closed at once, as when a database restarts); `restore()` ends that."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = threading.Event()
        self.closing = threading.Event()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        self.listener.settimeout(0.2)
        while not self.closing.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            try:
                server = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.pairs.append((client, server))
            threading.Thread(target=self._pump, args=(client, server), daemon=True).start()

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        sockets = [client, server]
        # A selector (epoll), not select(): select() fails on descriptors above 1023.
        watch = selectors.DefaultSelector()
        try:
            for sock in sockets:
                watch.register(sock, selectors.EVENT_READ)
            while not self.down.is_set():
                for key, _ in watch.select(0.2):
                    source, sink = (client, server) if key.fileobj is client else (server, client)
                    data = source.recv(65536)
                    if not data:
                        return
                    sink.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            watch.close()
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.close()

    def cut(self) -> None:
        self.down.set()
        with self.lock:
            for pair in self.pairs:
                for sock in pair:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            self.pairs.clear()

    def restore(self) -> None:
        self.down.clear()

    def close(self) -> None:
        self.closing.set()
        self.cut()
        self.listener.close()


@contextlib.contextmanager
def client_broker(url: str) -> Iterator[None]:
    """Point this process's Celery client (on_commit sends, the sweeper) at `url`."""
    from forgerybench_site.celery import app

    def use(broker: str, write: str) -> None:
        # broker_write_url was resolved from the broker URL when the app was configured;
        # the connection and producer pools are built lazily from it.
        app.conf.update(broker_url=broker, broker_write_url=write)
        vars(app)["_pool"] = None
        vars(app.amqp)["_producer_pool"] = None

    previous = app.conf.broker_url, app.conf.broker_write_url
    use(url, url)
    try:
        yield
    finally:
        use(*previous)


def database_url(settings_dict: dict, *, port: int | None = None) -> str:
    return (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD']}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{port or settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}"
    )


class Workers:
    """Starts the real processes of one installation: the web server (the agent API), a Django
    worker on the score queue (optionally with the beat) and a run agent on cpu,gpu. Stops
    (kills) them all at the end."""

    def __init__(self, data_dir: Path):
        from tests.agents import AgentStack

        self.data_dir = data_dir
        self.stack = AgentStack(data_dir)

    def start(
        self,
        *,
        broker_url: str,
        database_url: str,
        name: str,
        concurrency: int = 1,
        beat: bool = False,
        env: dict[str, str] | None = None,
    ) -> SimpleNamespace:
        from tests.agents import agent_broker_url, ensure_credential

        django_env = {"FORGERYBENCH_HEARTBEAT_SECONDS": "1", **(env or {})}
        # The instance in the name: parallel suites on one engine and one Redis never clean up
        # each other's containers or reset each other's broker user.
        agent_name = f"agent-{name}-{settings.FORGERYBENCH_INSTANCE}"
        token = f"fba_{name}-" + secrets.token_hex(8)
        ensure_credential(agent_name, token)
        web = self.stack.web(
            database_url=database_url, broker_url=broker_url, name=name, env=django_env
        )
        worker = self.stack.score_worker(
            database_url=database_url, broker_url=broker_url, name=name, beat=beat, env=django_env
        )
        agent_broker = agent_broker_url(broker_url, agent_name)
        agent = self.stack.agent(
            platform_url=web.url,
            broker_url=agent_broker,
            token=token,
            name=agent_name,
            concurrency=concurrency,
        )

        def agent_again(log: str) -> SimpleNamespace:
            """The same agent (name, credential, scratch folder) started afresh."""
            return self.stack.agent(
                platform_url=web.url,
                broker_url=agent_broker,
                token=token,
                name=agent_name,
                concurrency=concurrency,
                log_name=log,
            )

        def text() -> str:
            return "\n".join(
                log.read_text(errors="replace") for log in (agent.log, worker.log, web.log)
            )

        return SimpleNamespace(
            name=agent_name,
            process=agent.process,
            agent=agent,
            worker=worker,
            web=web,
            log=agent.log,
            text=text,
            agent_again=agent_again,
        )

    def stop_all(self) -> None:
        self.stack.stop_all()


@pytest.fixture
def rig(transactional_db, settings, people):  # type: ignore[no-untyped-def]
    """Own Redis, worker starter, and a one-split detection track (4 samples)."""
    from django.db import connection

    from benchmarks.services import benchmark_upsert, split_register, track_upsert
    from tests.support import unavailable

    if connection.vendor != "postgresql":
        unavailable("reliability tests need PostgreSQL (DATABASE_URL=postgres://…)")
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    redis = OwnRedis(data_dir / "own-redis.log")
    workers = Workers(data_dir)
    benchmark = benchmark_upsert(slug="rig", name="Rig", description="", synthetic=True)
    track = track_upsert(
        benchmark=benchmark,
        slug="detect",
        name="Detect",
        task="detection",
        primary_metric="auc",
        timeout_seconds=60,
        memory_mb=256,
        cpus=1.0,
    )
    inputs = Path(settings.FORGERYBENCH_SPLITS_DIR) / "rig" / "test"
    inputs.mkdir(parents=True, exist_ok=True)
    (inputs / "task.json").write_text(json.dumps({"protocol": 1, "task": "detection"}))
    ids = [f"r{i}" for i in range(4)]
    (inputs / "manifest.jsonl").write_text(
        "".join(json.dumps({"id": i, "path": f"images/{i}.png"}) + "\n" for i in ids)
    )
    truth = Path(settings.FORGERYBENCH_LABELS_DIR) / "rig" / "test" / "truth.jsonl"
    truth.parent.mkdir(parents=True, exist_ok=True)
    truth.write_text(
        "".join(json.dumps({"id": i, "label": n % 2}) + "\n" for n, i in enumerate(ids))
    )
    split_register(
        track=track, name="test", visibility="hidden", inputs_dir=inputs, labels_path=truth
    )
    try:
        yield SimpleNamespace(
            redis=redis,
            workers=workers,
            track=track,
            people=people,
            database_url=database_url(connection.settings_dict),
            settings_dict=connection.settings_dict,
        )
    finally:
        workers.stop_all()
        redis.stop()

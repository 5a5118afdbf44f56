"""The agent's broker account reaches the run queues and nothing else (Redis ACL).

A redis-server of the test's own (the shared one's users are left alone), the ACL rules the
deployment uses (deploy/redis/agent-acl.rules), and a real Celery consumer: the agent's app
on that account receives a run message; the same account cannot read or write the score
queue, another key, or change the server's users.
"""

import secrets
import socket
import subprocess
from pathlib import Path

import pytest

from tests.reliability.conftest import OwnRedis

ROOT = Path(__file__).resolve().parents[2]
RULES = (ROOT / "deploy" / "redis" / "agent-acl.rules").read_text().split()


def _command(port: int, user: str, password: str, *words: str) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        lines = [("AUTH", user, password), words]
        payload = b""
        for line in lines:
            payload += f"*{len(line)}\r\n".encode()
            for word in line:
                payload += f"${len(word.encode())}\r\n{word}\r\n".encode()
        conn.sendall(payload)
        data = b""
        while data.count(b"\r\n") < 2:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.decode(errors="replace").split("\r\n")[1]


@pytest.fixture
def acl_redis(tmp_path: Path):  # type: ignore[no-untyped-def]
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode != 0:
        from tests.support import unavailable

        unavailable("redis-server is not installed")
    redis = OwnRedis(tmp_path / "redis.log")
    password = secrets.token_hex(16)
    assert redis.command("ACL", "SETUSER", "forgerybench-agent", *RULES, f">{password}") == "+OK"
    try:
        yield redis, password
    finally:
        redis.stop()


def test_the_agent_account_consumes_its_queues_and_reaches_nothing_else(acl_redis) -> None:
    from kombu import Connection, Producer, Queue

    redis, password = acl_redis
    options = {"priority_steps": list(range(10)), "sep": ":"}
    # The platform's side (the default user) declares the queue and sends a run message with
    # a priority, as its Celery producer does.
    with Connection(redis.url, transport_options=options) as conn:
        Producer(conn.default_channel).publish(
            [[7], {}, {}],
            routing_key="cpu",
            declare=[Queue("cpu")],
            priority=3,
            headers={"task": "runagent.run"},
            serializer="json",
        )
    assert redis.queue_length("cpu") == 1
    # The agent's account takes it from the queue, declaring nothing (as its worker does).
    agent_url = f"redis://forgerybench-agent:{password}@127.0.0.1:{redis.port}/0"
    with Connection(agent_url, transport_options=options) as conn:
        queue = Queue("cpu", no_declare=True).bind(conn.default_channel)
        message = queue.get(no_ack=False)
        assert message is not None and message.headers["task"] == "runagent.run"
        assert message.payload[0] == [7]
        message.ack()
    assert redis.queue_length("cpu") == 0
    user = ("forgerybench-agent", password)
    for words in (
        ("LPUSH", "score", "x"),
        ("LRANGE", "score", "0", "-1"),
        ("GET", "celery-task-meta-1"),
        ("KEYS", "*"),
        ("ACL", "SETUSER", "forgerybench-agent", "~*"),
        ("CONFIG", "GET", "*"),
        ("FLUSHALL",),
    ):
        answer = _command(redis.port, *user, *words)
        assert answer.startswith("-NOPERM"), (words, answer)
    assert _command(redis.port, *user, "LLEN", "gpu") == ":0"

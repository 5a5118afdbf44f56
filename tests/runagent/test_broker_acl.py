"""The agent's broker account reaches the run queues and nothing else (Redis ACL).

A redis-server of the test's own (the shared one's users are left alone), the ACL rules the
deployment uses (deploy/redis/agent-acl.rules), and a real kombu consumer with the agent's own
transport options: on that account it receives a run message, acknowledges it, puts one back
and restores a lost one; the same account cannot read or write the score queue, another key,
the platform's unacked bookkeeping (whose restore would carry a planted message into the
score queue), list keys, select another database, flush scripts or change the server.
"""

import json
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


PLATFORM_OPTIONS = {"priority_steps": list(range(10)), "sep": ":"}  # the platform's settings


def _send_run(redis, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """The platform's side (the default user) declares the queue and sends a run message with
    a priority, as its Celery producer does (exchange and routing key `cpu`)."""
    from kombu import Connection, Exchange, Producer, Queue

    with Connection(redis.url, transport_options=PLATFORM_OPTIONS) as conn:
        Producer(conn.default_channel).publish(
            [[job_id], {}, {}],
            exchange=Exchange("cpu", type="direct"),
            routing_key="cpu",
            declare=[Queue("cpu", Exchange("cpu", type="direct"), routing_key="cpu")],
            priority=3,
            headers={"task": "runagent.run"},
            serializer="json",
        )


def test_the_agent_account_consumes_its_queues_and_reaches_nothing_else(acl_redis) -> None:
    from kombu import Connection, Queue

    from runagent.celery_app import REDIS_TRANSPORT_OPTIONS

    redis, password = acl_redis
    _send_run(redis, 7)
    assert redis.queue_length("cpu") == 1
    # The agent's account takes it from the queue, declaring nothing (as its worker does),
    # puts it back (a rejected message, restored through its own unacked keys), takes it
    # again and acknowledges it.
    agent_url = f"redis://forgerybench-agent:{password}@127.0.0.1:{redis.port}/0"
    with Connection(agent_url, transport_options=REDIS_TRANSPORT_OPTIONS) as conn:
        queue = Queue("cpu", no_declare=True).bind(conn.default_channel)
        message = queue.get(no_ack=False)
        assert message is not None and message.headers["task"] == "runagent.run"
        assert message.payload[0] == [7]
        message.requeue()
        assert redis.queue_length("cpu") == 1
        message = queue.get(no_ack=False)
        assert message is not None and message.payload[0] == [7]
        message.ack()
    assert redis.queue_length("cpu") == 0
    assert redis.command("HLEN", "agent-unacked") == ":0"
    # A message taken by an agent that died unacknowledged is restored by another agent's
    # periodic restore (its mutex, the lookup of the queue's binding, the move back).
    _send_run(redis, 8)
    lost = {**REDIS_TRANSPORT_OPTIONS, "visibility_timeout": 0}
    with Connection(agent_url, transport_options=lost) as conn:
        channel = conn.default_channel
        assert Queue("cpu", no_declare=True).bind(channel).get(no_ack=False) is not None
        # This one "dies": nothing it holds is put back.
        channel.qos._delivered.clear()  # type: ignore[attr-defined]
    assert redis.queue_length("cpu") == 0
    assert redis.command("HLEN", "agent-unacked") == ":1"
    with Connection(agent_url, transport_options=lost) as conn:
        conn.default_channel.qos.restore_visible(num=10, interval=1)  # type: ignore[attr-defined]
    assert redis.queue_length("cpu") == 1 and redis.command("HLEN", "agent-unacked") == ":0"
    user = ("forgerybench-agent", password)
    for words in (
        ("LPUSH", "score", "x"),
        ("LRANGE", "score", "0", "-1"),
        ("GET", "celery-task-meta-1"),
        ("KEYS", "*"),
        ("ACL", "SETUSER", "forgerybench-agent", "~*"),
        ("CONFIG", "GET", "*"),
        ("FLUSHALL",),
        # Side commands that name no key or reach the whole server.
        ("SCAN", "0", "COUNT", "1000"),
        ("SELECT", "5"),
        ("SCRIPT", "FLUSH"),
        ("SCRIPT", "KILL"),
        ("FUNCTION", "FLUSH"),
        ("FUNCTION", "LIST"),
        ("EVAL", "return 1", "0"),
        ("INFO",),
        ("CLIENT", "LIST"),
        ("CLIENT", "KILL", "TYPE", "normal"),
        ("MONITOR",),
        ("PUBLISH", "x", "y"),
        ("SHUTDOWN",),
        ("DBSIZE",),
        ("RANDOMKEY",),
        ("SADD", "_kombu.binding.cpu", "x"),
        ("DEL", "_kombu.binding.cpu"),
        # The platform's own unacked bookkeeping.
        ("HSET", "unacked", "t", "x"),
        ("HGETALL", "unacked"),
        ("ZADD", "unacked_index", "1", "t"),
        ("SET", "unacked_mutex", "x"),
    ):
        answer = _command(redis.port, *user, *words)
        assert answer.startswith("-NOPERM"), (words, answer)
    assert _command(redis.port, *user, "LLEN", "gpu") == ":0"


def test_a_message_planted_in_the_unacked_bookkeeping_never_reaches_the_score_queue(
    acl_redis,
) -> None:
    """A forged Celery task message for the score workers, planted by the agent account where
    a consumer's restore would push it to the queue it names: the platform's `unacked` hash
    is out of the account's reach, and what it plants in its own (`agent-unacked`) goes back
    only where the account itself may write (the run queues)."""
    from kombu import Connection, Queue
    from redis.exceptions import ResponseError

    from runagent.celery_app import REDIS_TRANSPORT_OPTIONS

    redis, password = acl_redis
    user = ("forgerybench-agent", password)
    forged = {
        "body": "W1s0Ml0sIHt9LCB7fV0=",
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"lang": "py", "task": "notifications.send", "id": "f", "retries": 0},
        "properties": {
            "body_encoding": "base64",
            "delivery_tag": "planted",
            "delivery_info": {"exchange": "", "routing_key": "score"},
            "priority": 0,
        },
    }
    entry = json.dumps([forged, "", "score"])
    assert _command(redis.port, *user, "HSET", "unacked", "planted", entry).startswith("-NOPERM")
    assert _command(redis.port, *user, "ZADD", "unacked_index", "1", "planted").startswith(
        "-NOPERM"
    )
    assert _command(redis.port, *user, "HSET", "agent-unacked", "planted", entry) == ":1"
    assert _command(redis.port, *user, "ZADD", "agent-unacked_index", "1", "planted") == ":1"
    # The platform's score worker (the default user) restores lost messages from its own
    # keys every few seconds (kombu's restore_visible): nothing of the agent's is there.
    with Connection(redis.url, transport_options=PLATFORM_OPTIONS) as conn:
        channel = conn.default_channel
        Queue("score").bind(channel).declare()
        channel.qos.restore_visible(num=10, interval=1)  # type: ignore[attr-defined]
    assert redis.queue_length("score") == 0
    # An agent's own restore tries to move it on as the account: refused by the server.
    agent_url = f"redis://forgerybench-agent:{password}@127.0.0.1:{redis.port}/0"
    with (
        Connection(agent_url, transport_options=REDIS_TRANSPORT_OPTIONS) as conn,
        pytest.raises(ResponseError),
    ):
        conn.default_channel.qos.restore_visible(num=10, interval=1)  # type: ignore[attr-defined]
    assert redis.queue_length("score") == 0
    with Connection(redis.url, transport_options=PLATFORM_OPTIONS) as conn:
        assert Queue("score").bind(conn.default_channel).get(no_ack=True) is None

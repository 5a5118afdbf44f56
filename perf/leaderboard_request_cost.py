"""CPU time of one request to the leaderboard page and to the bare views, in process.

Calls Django's WSGI handler directly (no server, no network, no wrk), so the figures are the
Django side of a request alone and swing far less with the machine's load than the bench's.
Runs on the data folder a bench run kept:

    BENCH_KEEP=1 .venv/bin/python perf/bench_leaderboard.py --seconds 1 --rounds 1   # "kept DIR"
    .venv/bin/python perf/leaderboard_request_cost.py DIR

Each figure is the best of 5 batches (process time per request, in microseconds).
"""

import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    os.environ.update(
        FORGERYBENCH_DATA_DIR=sys.argv[1],
        DJANGO_SETTINGS_MODULE="perf.bench_settings",
        SECRET_KEY="bench-only",
    )
    os.environ.pop("DATABASE_URL", None)
    sys.path[:0] = [str(ROOT), str(ROOT / "platform")]
    import django

    django.setup()
    from django.contrib.sessions.models import Session
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    session = Session.objects.first()
    if session is None:
        raise SystemExit("no session in this data folder: keep a bench run's folder")
    # As the bench: the reader's session and the CSRF cookie a signed-in browser holds.
    cookie = f"sessionid={session.session_key}; csrftoken={'a1b2' * 8}"

    def request(path: str, cookies: str) -> None:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1:8000",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
        }
        if cookies:
            environ["HTTP_COOKIE"] = cookies
        status: list[str] = []
        body = app(environ, lambda s, _headers: status.append(s))  # type: ignore[arg-type]
        b"".join(body)
        body.close()
        if not status[0].startswith("200"):
            raise SystemExit(f"{path}: {status[0]}")

    def cost(path: str, cookies: str, batch: int = 400) -> float:
        for _ in range(50):
            request(path, cookies)
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for _ in range(batch):
                request(path, cookies)
            best = min(best, (time.process_time() - started) / batch)
        return best * 1e6

    board = "/b/bench/image/"
    print(f"{'request':<44}{'us':>8}")
    for name, path, cookies in (
        ("bare view, anonymous", "/__bare__/", ""),
        ("leaderboard, anonymous", board, ""),
        ("bare view, signed-in cookies", "/__bare__/", cookie),
        ("bare view reading the user, signed in", "/__bare_user__/", cookie),
        ("leaderboard, signed in", board, cookie),
    ):
        print(f"{name:<44}{cost(path, cookies):>8.0f}")


if __name__ == "__main__":
    main()

"""Leaderboard page throughput against a bare Django view, both under gunicorn, in one run.

Seeds 10,000 finished submissions from 100 teams on one track (a fresh SQLite database in a
temporary data folder), serves the site with gunicorn (2 sync workers), and measures requests
per second with wrk on the leaderboard page and on bare views that only pass the same
middleware (locale middleware included):
- an anonymous reader (no cookie): the board against the bare view;
- a signed-in reader (the session cookie and the CSRF cookie a signed-in browser holds; the
  bare views get the same cookies): the board against the bare view that reads who is signed in
  (the session and the user, as any page for a signed-in reader must: Django loads them lazily,
  so a view that never looks at the user never pays for them), and, for reference, against the
  bare view that never reads the session at all.
Each round measures every view in turn; each ratio is the median of the rounds' ratios (five
by default: rounds swing by about ±5% on a shared 2-core machine). Goal: the leaderboard reaches
at least 80% of its bare view, both ways.

    .venv/bin/python perf/bench_leaderboard.py [--submissions 10000] [--teams 100] [--seconds 10]
        [--rounds 5]
"""

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(env: dict[str, str], submissions: int, teams: int) -> str:
    """Seed the database; returns the signed-in reader's session key."""
    code = f"""
import django, random
django.setup()
from django.utils import timezone
from accounts.models import Team
from benchmarks.models import Benchmark, Split, Track
from submissions.models import Result, Status, Submission
bench = Benchmark.objects.create(slug="bench", name="Bench", synthetic=True)
track = Track.objects.create(benchmark=bench, slug="image", name="Image", task="detection",
                             primary_metric="auc")
split = Split.objects.create(track=track, name="val", visibility="public",
                             inputs_dir="/nonexistent", labels_path="/nonexistent",
                             inputs_sha256="0"*64, labels_sha256="0"*64, sample_count=1000)
teams = Team.objects.bulk_create(
    [Team(name=f"team {{i}}", slug=f"team-{{i}}") for i in range({teams})])
rng = random.Random(7)
now = timezone.now()
subs = Submission.objects.bulk_create([
    Submission(team=teams[i % len(teams)], track=track, method_name=f"method {{i}}",
               training_data="other: bench", image_id="sha256:bench", status=Status.FINISHED,
               finished_at=now)
    for i in range({submissions})], batch_size=2000)
results = []
for s in subs:
    auc = rng.uniform(0.5, 0.99)
    results.append(Result(submission=s, split=split, primary_value=auc, protocol_version=1,
                          evaluator_version="bench",
                          metrics={{"auc": auc, "acc": auc - 0.05, "eer": 1 - auc, "ap": auc,
                                   "log_loss": 0.5, "ci": {{"auc": [auc - 0.02, auc + 0.02]}}}}))
Result.objects.bulk_create(results, batch_size=2000)
# A signed-in reader, member of one team, with a session the bench sends as its cookie.
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from importlib import import_module
from django.conf import settings
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore
from accounts.models import Membership
reader = User.objects.create_user(username="reader", password="reader-pw-123")
Membership.objects.create(team=teams[0], user=reader, role="owner")
session = SessionStore()
session[SESSION_KEY] = str(reader.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
session[HASH_SESSION_KEY] = reader.get_session_auth_hash()
session.create()
print("SESSION", session.session_key)
# Leaderboards show only results with complete provenance, as the score step writes them.
from submissions.models import Provenance
Provenance.objects.bulk_create([
    Provenance(result=r, image_id="sha256:bench", method_name=r.submission.method_name,
               training_data="other: bench", split=split, manifest_sha256="0"*64,
               labels_sha256="0"*64, sample_count=1000, protocol_version=1,
               evaluator_version="bench", bootstrap_seed=0, worker_host="bench",
               predictions_path="-", predictions_sha256="0"*64, predictions_size=0,
               metrics_sha256="0"*64, complete=True, created_at=now)
    for r in results], batch_size=2000)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    match = re.search(r"^SESSION (\w+)$", out, re.MULTILINE)
    if not match:
        raise SystemExit(f"seeding printed no session key:\n{out}")
    return match.group(1)


def _wrk(url: str, seconds: int, cookie: str = "") -> float:
    headers = ["-H", f"Cookie: {cookie}"] if cookie else []
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", *headers, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match or "Non-2xx" in out:
        raise SystemExit(f"wrk failed or got errors for {url}:\n{out}")
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: deploy/scripts/ensure-services.sh wrk")
    data = Path(tempfile.mkdtemp(prefix="fb-bench-"))
    env = dict(
        os.environ,
        FORGERYBENCH_DATA_DIR=str(data),
        DJANGO_SETTINGS_MODULE="perf.bench_settings",
        SECRET_KEY="bench-only",
        PYTHONPATH=f"{ROOT}:{ROOT / 'platform'}",
    )
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)
    started = time.perf_counter()
    session_key = _seed(env, args.submissions, args.teams)
    print(
        f"seeded {args.submissions:,} submissions from {args.teams} teams "
        f"in {time.perf_counter() - started:.1f} s"
    )
    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "forgerybench_site.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        board_url, bare_url = f"{base}/b/bench/image/", f"{base}/__bare__/"
        bare_user_url = f"{base}/__bare_user__/"
        # A signed-in browser also holds the CSRF cookie (set by the login form it came through).
        login_page = subprocess.run(
            ["curl", "-fsS", "-D", "-", "-o", "/dev/null", f"{base}/login/"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        csrf = re.search(r"csrftoken=(\w+)", login_page)
        if not csrf:
            raise SystemExit(f"the login page set no CSRF cookie:\n{login_page}")
        cookie = f"sessionid={session_key}; csrftoken={csrf.group(1)}"
        # The signed-in page really is the reader's (else the cookie measured nothing).
        page = subprocess.run(
            ["curl", "-fsS", "-H", f"Cookie: {cookie}", board_url],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        if "Log out reader" not in page:
            raise SystemExit("the session cookie did not sign the reader in")
        # Warm both workers' view of the cache (the board is computed once per change).
        for _ in range(4):
            subprocess.run(["curl", "-fsS", "-o", "/dev/null", board_url], check=True)
        # Per round, in turn: the bare view and the board for an anonymous reader; the bare
        # view, the bare view that reads who is signed in, and the board for a signed-in one.
        rounds: list[dict[str, float]] = []
        for _ in range(args.rounds):
            rates = {"anonymous bare": _wrk(bare_url, args.seconds)}
            rates["anonymous board"] = _wrk(board_url, args.seconds)
            rates["signed-in bare"] = _wrk(bare_url, args.seconds, cookie)
            rates["signed-in bare reading the user"] = _wrk(bare_user_url, args.seconds, cookie)
            rates["signed-in board"] = _wrk(board_url, args.seconds, cookie)
            rounds.append(rates)
    finally:
        server.terminate()
        server.wait(timeout=30)
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(data, ignore_errors=True)
        else:
            print("kept", data)
    columns = list(rounds[0])
    print("req/s per round: " + " | ".join(columns))
    for number, rates in enumerate(rounds, 1):
        print(f"  round {number}: " + " | ".join(f"{rates[c]:.0f}" for c in columns))
    comparisons = (
        ("anonymous board / anonymous bare", "anonymous board", "anonymous bare", True),
        (
            "signed-in board / bare view that reads the signed-in user",
            "signed-in board",
            "signed-in bare reading the user",
            True,
        ),
        (
            "signed-in board / bare view that never reads the session",
            "signed-in board",
            "signed-in bare",
            False,
        ),
    )
    for label, board, bare, goal in comparisons:
        ratios = [rates[board] / rates[bare] for rates in rounds]
        median = statistics.median(ratios)
        each = ", ".join(f"{r:.0%}" for r in ratios)
        verdict = ("met" if median >= 0.8 else "NOT met") if goal else "for reference"
        print(f"{label}: median {median:.0%} ({each}); goal >= 80%: {verdict}")


if __name__ == "__main__":
    random.seed(0)
    main()

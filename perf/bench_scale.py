"""Scale figures: K run agent processes on the run queue, sleep-bound runs.

    .venv/bin/python perf/bench_scale.py            # the full run (`make bench`), ~8 minutes
    .venv/bin/python perf/bench_scale.py --quick    # small counts, ~4 minutes

Real parts only: PostgreSQL, Redis, the Docker engine, the platform's web server (gunicorn,
the agent API), Django `celery worker` processes on the score queue, and K run agents (`python
-m runagent`), each a separate process with its own agent credential, its own broker user
(Redis ACL) and no database access. The submitted image sleeps SLEEP seconds and then scores
the 1,000 samples of the split from their ids, so the model's own compute is a known constant
and everything else is the platform's overhead: the claim over HTTP, the inputs fetch (by
hash, cached), loop-mounted capped /output, container start/stop, packing, upload and unpack
of the bundle, the outcome call, validation and scoring of 1,000 predictions with a bootstrap
interval, the database writes, the queue hops.

Reported per K = 1, 2, 4: submissions per minute, throughput against K = 1, and the platform's
overhead per submission (agent-busy time per submission, minus the sleep). Then a burst: N
submissions from several teams queued at once, one team's half of them queued ahead of
everyone else's, with one of the 4 agents SIGKILLed (its whole process group, container left
behind) when half have finished; every one must finish, none may be lost, none may run twice
(container starts counted from the engine's own event stream: only the jobs the killed agent
held start again, since their first attempt never ended), and each team's share of the first
half of the starts shows the fair order across teams.

Needs PostgreSQL, Redis and Docker (`deploy/scripts/ensure-services.sh docker postgres redis`)
and root for the loop-mounted /output. Uses its own database, Redis db, data folder and
container names, so it can run beside the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "var" / "bench-scale"
DB_NAME = os.environ.get("BENCH_DB_NAME", "forgerybench_bench_scale")
ENV = {
    "FORGERYBENCH_DATA_DIR": str(DATA),
    "SECRET_KEY": "bench-only-not-secret",
    "DATABASE_URL": f"postgres://forgerybench:forgerybench@127.0.0.1:5432/{DB_NAME}",
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13"),
    "FORGERYBENCH_INSTANCE": os.environ.get("BENCH_INSTANCE", "bench-scale"),
    "DJANGO_SETTINGS_MODULE": "forgerybench_site.settings",
    "LOG_LEVEL": "WARNING",
    # One host: the agents share the engine the sleeper image is built in, so submitting it
    # by reference needs no copy in the image store (docs/operations.md, *The image store*).
    "FORGERYBENCH_STORE_REFERENCED_IMAGES": "0",
}
os.environ.update(ENV)
sys.path[:0] = [str(ROOT), str(ROOT / "platform")]

SAMPLES = 1000
SLEEPER = ROOT / "perf" / "images" / "sleeper"


def say(message: str) -> None:
    print(message, flush=True)


def create_database() -> None:
    import psycopg2

    conn = psycopg2.connect("postgres://forgerybench:forgerybench@127.0.0.1:5432/forgerybench")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,))
        if cursor.fetchone():
            cursor.execute(f"DROP DATABASE {DB_NAME} WITH (FORCE)")
        cursor.execute(f"CREATE DATABASE {DB_NAME}")
    conn.close()


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def build_sleeper(sleep_seconds: float) -> str:
    import docker

    client = docker.from_env()
    image, _ = client.images.build(
        path=str(SLEEPER),
        tag=f"forgerybench-bench/sleeper:{sleep_seconds:g}s",
        buildargs={"BASE_IMAGE": "forgerybench/base:latest", "SLEEP_SECONDS": f"{sleep_seconds}"},
        pull=False,
        rm=True,
    )
    return image.tags[0]


def make_track():
    """One CPU track with a single hidden split of SAMPLES detection samples."""
    from benchmarks.services import benchmark_upsert, split_register, track_upsert

    rng = random.Random(7)
    inputs, labels = DATA / "splits" / "scale" / "test", DATA / "labels" / "scale" / "test"
    inputs.mkdir(parents=True)
    labels.mkdir(parents=True)
    ids = [f"s{index:05d}" for index in range(SAMPLES)]
    (inputs / "task.json").write_text(
        json.dumps({"protocol": 1, "task": "detection", "outputs": "predictions.jsonl"})
    )
    (inputs / "manifest.jsonl").write_text(
        "".join(json.dumps({"id": i, "path": f"images/{i}.png"}) + "\n" for i in ids)
    )
    (labels / "truth.jsonl").write_text(
        "".join(json.dumps({"id": i, "label": rng.randint(0, 1)}) + "\n" for i in ids)
    )
    benchmark = benchmark_upsert(
        slug="scale", name="Scale", description="platform scale benchmark", synthetic=True
    )
    track = track_upsert(
        benchmark=benchmark,
        slug="detect",
        name="Detect",
        task="detection",
        primary_metric="auc",
        timeout_seconds=600,
        memory_mb=256,
        cpus=0.5,
    )
    split_register(
        track=track,
        name="test",
        visibility="hidden",
        inputs_dir=inputs,
        labels_path=labels / "truth.jsonl",
    )
    return track


def make_teams(count: int) -> list:
    from accounts.services import team_create, user_create

    teams = []
    for index in range(count):
        owner = user_create(username=f"scale-owner-{index}", password="bench-password-123")
        teams.append(team_create(name=f"Scale Team {index}", owner=owner))
    return teams


class Workers:
    """The platform's processes (web server, score workers with the sweeper's beat) and K run
    agents, each a separate process with a credential and a broker user of its own."""

    def __init__(self, count: int, *, score_workers: int = 2):
        from tests.agents import AgentStack, agent_broker_url, ensure_credential

        self.stack = AgentStack(DATA / "log" / f"k{count}")
        self.stack.data_dir.mkdir(parents=True, exist_ok=True)
        broker, database = ENV["CELERY_BROKER_URL"], ENV["DATABASE_URL"]
        platform_env = {
            "LOG_LEVEL": "WARNING",
            "FORGERYBENCH_RUN_LEASE_SECONDS": "15",
            "FORGERYBENCH_SWEEP_INTERVAL_SECONDS": "3",
        }
        web = self.stack.web(database_url=database, broker_url=broker, name="web", env=platform_env)
        for index in range(score_workers):
            self.stack.score_worker(
                database_url=database,
                broker_url=broker,
                name=f"score{index}",
                beat=index == 0,
                env=platform_env,
            )
        self.agents = []
        for index in range(count):
            name = f"bench{count}-{index}"
            token = f"fba_bench-{name}-" + "x" * 24
            ensure_credential(name, token)
            self.agents.append(
                self.stack.agent(
                    platform_url=web.url,
                    broker_url=agent_broker_url(broker, name),
                    token=token,
                    name=name,
                )
            )

    def kill_agent(self, index: int) -> None:
        """SIGKILL an agent's whole process group: the main process and its pool child."""
        import signal

        os.killpg(self.agents[index].process.pid, signal.SIGKILL)

    def stop(self) -> None:
        self.stack.stop_all()


def submit(track, teams: list, image: str, count: int, *, seed: int, ahead: int = 0) -> list[int]:
    """Queue `count` submissions: `ahead` of them from the first team, then the rest from
    every team in a seeded random interleaving."""
    from submissions.services import submission_create_from_image

    rng = random.Random(seed)
    rest = [teams[index % len(teams)] for index in range(count - ahead)]
    rng.shuffle(rest)
    order = [teams[0]] * ahead + rest
    ids: list[int] = []
    for team in order:
        submission = submission_create_from_image(
            team=team,
            track=track,
            user=None,
            image_reference=image,
            method_name=f"sleeper {len(ids)}",
            training_data="other: none",
        )
        ids.append(submission.pk)
    return ids


def wait_done(ids: list[int], timeout: float) -> float:
    from submissions.models import Status, Submission

    deadline = time.monotonic() + timeout
    while True:
        done = Submission.objects.filter(
            pk__in=ids, status__in=[Status.FINISHED, Status.FAILED]
        ).count()
        if done == len(ids):
            return time.monotonic()
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {len(ids)} submissions ended in {timeout:.0f} s")
        time.sleep(0.25)


class ContainerStarts:
    """Counts the engine's container starts per submission, live from its event stream (the
    engine keeps only a short backlog, so a later query would miss a long burst's events)."""

    def __init__(self) -> None:
        import docker

        self.counts: dict[str, int] = {}
        self.stream = docker.from_env().events(
            decode=True,
            filters={
                "type": "container",
                "event": "start",
                "label": f"org.forgerybench.instance={ENV['FORGERYBENCH_INSTANCE']}",
            },
        )
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream ends when closed
            for event in self.stream:
                submission = event["Actor"]["Attributes"].get("org.forgerybench.submission")
                if submission:
                    self.counts[submission] = self.counts.get(submission, 0) + 1

    def stop(self) -> dict[str, int]:
        time.sleep(1)  # let the last events arrive
        self.stream.close()
        self.thread.join(5)
        return self.counts


def measure(workers: int, count: int, track, teams, image: str, sleep: float) -> dict:
    from submissions.models import Status, Submission

    pool = Workers(workers)
    try:
        start = time.monotonic()
        ids = submit(track, teams, image, count, seed=workers)
        end = wait_done(ids, timeout=60 + count * (sleep + 10))
    finally:
        pool.stop()
    rows = list(Submission.objects.filter(pk__in=ids))
    steps = agent_steps(pool.stack.data_dir)
    failed = [r for r in rows if r.status != Status.FINISHED]
    if failed:
        raise RuntimeError(
            f"{len(failed)} failed: {failed[0].failure_code} {failed[0].failure_reason}"
        )
    # The run step alone (claim to scoring queued): container and /output handling.
    run_step = [(r.scoring_at - r.running_at).total_seconds() - sleep for r in rows]  # type: ignore[operator]
    wall = end - start
    return {
        "workers": workers,
        "submissions": count,
        "wall_s": wall,
        "per_minute": count / wall * 60,
        # Agent-seconds spent per submission beyond the model's own: claim, inputs, run,
        # bundle, outcome, the next job's queue hop (scoring runs on the score workers), and
        # the idle tail while the last runs finish.
        "overhead_s": workers * wall / count - sleep,
        "run_step_overhead_s": statistics.median(run_step),
        # Where an agent's time per job went (median seconds per step, from its job log).
        "agent_steps_s": steps,
    }


STEP = re.compile(r"job \d+: \w+ .*\((claim [^)]*)\)\s*$")


def agent_steps(log_dir: Path) -> dict[str, float]:
    """Median seconds per step of the agents' jobs, read from their logs (runagent.job)."""
    spent: dict[str, list[float]] = {}
    for log in sorted(log_dir.glob("agent-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            found = STEP.search(line)
            if not found:
                continue
            for part in found.group(1).split(", "):
                name, _, seconds = part.rpartition(" ")[0].rpartition(" ")
                with contextlib.suppress(ValueError):
                    spent.setdefault(name, []).append(float(seconds))
    return {name: round(statistics.median(values), 3) for name, values in spent.items()}


def burst(count: int, workers: int, track, teams, image: str, sleep: float) -> dict:
    from runs.models import RunJob
    from submissions.models import Result, SplitRun, Status, Submission

    pool = Workers(workers)
    watch = ContainerStarts()
    held_when_killed: list[int] = []
    try:
        start = time.monotonic()
        ids = submit(track, teams, image, count, seed=1000, ahead=count // 2)
        queued = time.monotonic() - start
        # Halfway, SIGKILL one agent (its container is left running, its messages unacked).
        while Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() < count // 2:
            time.sleep(0.2)
        victim = pool.agents[0]
        pool.kill_agent(0)
        killed_at = time.monotonic() - start
        held_when_killed = list(
            RunJob.objects.filter(
                submission_id__in=ids, state="running", lease_owner__startswith=victim.name + ":"
            ).values_list("submission_id", flat=True)
        )
        end = wait_done(ids, timeout=120 + count * (sleep + 10) / workers)
    finally:
        starts = watch.stop()
        pool.stop()
        # The killed agent never restarts here: detach the /output mount it left.
        for line in Path("/proc/mounts").read_text().splitlines():
            point = line.split()[1]
            if point.startswith(str(DATA) + "/"):
                subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    rows = {r.pk: r for r in Submission.objects.filter(pk__in=ids)}
    finished = sum(1 for r in rows.values() if r.status == Status.FINISHED)
    runs = SplitRun.objects.filter(submission_id__in=ids).count()
    results = Result.objects.filter(submission_id__in=ids).count()
    # Order: rank in which each submission was claimed, per team.
    started = sorted(ids, key=lambda pk: rows[pk].running_at)  # type: ignore[arg-type,return-value]
    by_team: dict[str, list[int]] = {}
    for rank, pk in enumerate(started):
        by_team.setdefault(rows[pk].team.name, []).append(rank)
    queued_by_team: dict[str, list[int]] = {}
    for pk in ids:
        queued_by_team.setdefault(rows[pk].team.name, []).append(pk)
    # Within a team, runs must start in the order the team queued them. A job the killed agent
    # held starts again after its team's later ones (running_at is its second claim): left out.
    held = set(held_when_killed)
    out_of_team_order = sum(
        1
        for team, pks in queued_by_team.items()
        if [pk for pk in started if rows[pk].team.name == team and pk not in held]
        != [pk for pk in pks if pk not in held]
    )
    score_wait = [
        (rows[pk].finished_at - rows[pk].scoring_at).total_seconds()  # type: ignore[operator]
        for pk in ids
        if rows[pk].finished_at and rows[pk].scoring_at
    ]
    half = count // 2
    return {
        "submissions": count,
        "workers": workers,
        "queue_s": queued,
        "wall_s": end - start,
        "finished": finished,
        # Lost: queued but never ran and never finished; run twice: started more than once.
        "lost": sum(1 for pk in ids if str(pk) not in starts or rows[pk].status != Status.FINISHED),
        # Started more than once, beyond the jobs the killed agent held (whose first attempt
        # never ended: they must start again, once).
        "duplicated": sum(1 for pk, n in starts.items() if n > 1 + (int(pk) in held_when_killed)),
        "killed_agent_at_s": killed_at,
        "jobs_held_by_killed_agent": len(held_when_killed),
        "restarted": sum(1 for pk in held_when_killed if starts.get(str(pk), 0) == 2),
        "runs": runs,
        "results": results,
        "early_team": teams[0].name,
        "early_team_queued_ahead": half,
        "teams_out_of_own_order": out_of_team_order,
        "team_first_start_rank": {team: min(ranks) for team, ranks in sorted(by_team.items())},
        "team_median_start_rank": {
            team: statistics.median(ranks) for team, ranks in sorted(by_team.items())
        },
        "team_share_of_first_half": {
            team: round(sum(1 for r in ranks if r < half) / half, 3)
            for team, ranks in sorted(by_team.items())
        },
        "score_wait_median_s": statistics.median(score_wait),
        "score_wait_max_s": max(score_wait),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts (about 2 minutes)")
    parser.add_argument("--sleep", type=float, default=None, help="model seconds per run")
    parser.add_argument("--per-worker", type=int, default=None, help="submissions per worker")
    parser.add_argument("--burst", type=int, default=None, help="submissions queued at once")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sleep = args.sleep if args.sleep is not None else (2.0 if args.quick else 5.0)
    per_worker = args.per_worker or (3 if args.quick else 8)
    burst_count = args.burst or (40 if args.quick else 200)

    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True, exist_ok=True)
    create_database()
    setup_django()
    from forgerybench_site.celery import app

    with app.connection_for_write() as conn:
        for queue in ("cpu", "gpu", "score"):
            with contextlib.suppress(Exception):
                conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
    image = build_sleeper(sleep)
    track = make_track()
    teams = make_teams(4)
    say(
        f"scale benchmark: {SAMPLES}-sample split, model sleeps {sleep:g} s, {os.cpu_count()} cores"
    )

    rows = [measure(k, per_worker * k, track, teams, image, sleep) for k in (1, 2, 4)]
    base = rows[0]["per_minute"]
    say(f"\n{'K':>2} {'subs':>5} {'wall':>8} {'subs/min':>9} {'vs K=1':>7} {'goal':>6} "
        f"{'overhead/sub':>13} {'run step':>9}")  # fmt: skip
    for row in rows:
        row["speedup"] = row["per_minute"] / base
        say(
            f"{row['workers']:>2} {row['submissions']:>5} {row['wall_s']:>7.1f}s "
            f"{row['per_minute']:>9.2f} {row['speedup']:>6.2f}x {0.8 * row['workers']:>5.1f}x "
            f"{row['overhead_s']:>12.2f}s {row['run_step_overhead_s']:>8.2f}s"
        )
    say("\nper job, median seconds per agent step (container: the whole run step, the sleep too)")
    for row in rows:
        steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in row["agent_steps_s"].items())
        say(f"  K={row['workers']}: {steps}")
    burst_sleep = 0.5 if args.quick else 1.0
    result = burst(burst_count, 4, track, teams, build_sleeper(burst_sleep), burst_sleep)
    say(
        f"\nburst: {result['submissions']} queued in {result['queue_s']:.1f} s, "
        f"{result['workers']} workers, all ended in {result['wall_s']:.1f} s; "
        f"finished {result['finished']}, lost {result['lost']}, run twice {result['duplicated']}, "
        f"runs {result['runs']}, results {result['results']}"
    )
    say(
        f"  one agent SIGKILLed at {result['killed_agent_at_s']:.1f} s holding "
        f"{result['jobs_held_by_killed_agent']} job(s); restarted once each: {result['restarted']}"
    )
    say(
        f"  {result['early_team']} queued {result['early_team_queued_ahead']} ahead of the "
        f"others; teams whose runs started out of their own order: "
        f"{result['teams_out_of_own_order']}"
    )
    say(f"  first start rank by team: {result['team_first_start_rank']}")
    say(f"  median start rank by team: {result['team_median_start_rank']}")
    say(f"  share of the first half of starts by team: {result['team_share_of_first_half']}")
    say(
        f"  score wait (scoring queued to finished): median {result['score_wait_median_s']:.1f} s, "
        f"max {result['score_wait_max_s']:.1f} s"
    )
    if args.json:
        args.json.write_text(json.dumps({"scaling": rows, "burst": result}, indent=2))
    ok = (
        result["finished"] == burst_count
        and result["lost"] == 0
        and result["duplicated"] == 0
        and result["runs"] == result["results"] == burst_count
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Queue transparency: where a waiting run stands, when it may start, and who serves its queue.

Everything here is an estimate read from the database (the source of truth) plus the workers'
own answer to a ping, never from the broker's lists:

- **position**: the broker serves the most urgent priority level first and FIFO within a level
  (`submissions.fairness`); a waiting run's level comes from its team's own backlog, so the
  order recomputed here is (level, queued_at) over every waiting run on the queue. A level is
  fixed when a message is sent, so a team whose backlog drained can be served a little later
  than shown; never earlier than a run of a lighter team.
- **ETA**: the median run time (running → scoring) of the last `RECENT_RUNS` runs on that queue,
  times the waves of runs ahead of it given the workers serving the queue now.
- **workers**: the run agents serving the queue as their presence beats show them
  (`runs.selectors.agents_seen`: idle or busy when seen within the presence window, else
  stale or down), the Celery workers that consume it and answer a broadcast ping
  (`inspect().active_queues()`, one second at most, cached for `WORKERS_CACHE_SECONDS`; the
  score workers), and the runs on it whose owner's heartbeat is fresh (a live runner,
  whatever process it is, not already listed).
"""

import math
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from benchmarks.models import Track
from runs.selectors import agents_seen

from .fairness import priority_for_backlog
from .models import Status, Submission
from .queues import ALL_QUEUES, CPU_QUEUE, GPU_QUEUE, SCORE_QUEUE

RECENT_RUNS = 50
WORKERS_CACHE_SECONDS = 15
WAIT_WINDOW = timedelta(days=1)
_RESOURCE = {CPU_QUEUE: Track.ResourceClass.CPU, GPU_QUEUE: Track.ResourceClass.GPU}


# Worker states that serve a queue now; "stale" and "down" agents are shown, not counted.
LIVE_STATES = ("online", "running", "idle", "busy")


@dataclass(frozen=True)
class WorkerState:
    name: str
    queues: tuple[str, ...]
    # "online" (answered the ping), "running" (a run's heartbeat is fresh), or an agent's
    # presence: "idle", "busy", "stale", "down"
    state: str
    slots: int = 1
    busy: int = 0
    last_seen_at: datetime | None = None

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES


@dataclass
class QueueState:
    queue: str
    waiting: int
    running: int
    workers: list[WorkerState] = field(default_factory=list)
    median_run_seconds: float | None = None
    median_wait_seconds: float | None = None

    @property
    def live_workers(self) -> list[WorkerState]:
        return [w for w in self.workers if w.live]

    @property
    def health(self) -> str:
        if self.live_workers:
            return "serving"
        return "no worker" if self.waiting or self.running else "idle, no worker seen"

    @property
    def state_counts(self) -> dict[str, int]:
        return worker_state_counts(self.workers)


@dataclass(frozen=True)
class QueuePlace:
    queue: str
    position: int  # 1: served next
    ahead: int
    level: int
    workers: int  # live workers serving the queue
    median_run_seconds: float | None
    eta_start: datetime | None
    eta_finish: datetime | None
    worker_states: dict[str, int] = field(default_factory=dict)  # every worker seen, by state


def worker_state_counts(workers: list[WorkerState]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for worker in workers:
        counts[worker.state] = counts.get(worker.state, 0) + 1
    return dict(sorted(counts.items()))


def _ping_workers() -> dict[str, list[str]]:
    """{worker name: queues it consumes} from the workers that answer within a second."""
    try:
        replies = current_app.control.inspect(timeout=1.0).active_queues() or {}
    except Exception:  # the broker is down: no worker can be seen
        return {}
    return {name: sorted(q["name"] for q in queues) for name, queues in replies.items()}


def workers_by_queue(*, now: datetime) -> dict[str, list[WorkerState]]:
    key = "queue-status:workers"
    pinged = cache.get(key)
    if pinged is None:
        pinged = _ping_workers()
        cache.set(key, pinged, WORKERS_CACHE_SECONDS)
    found: dict[str, list[WorkerState]] = {queue: [] for queue in ALL_QUEUES}
    agents = agents_seen(now=now)
    for agent in agents:
        for queue in agent.queues:
            if queue in found:
                found[queue].append(
                    WorkerState(
                        name=agent.name,
                        queues=agent.queues,
                        state=agent.state,
                        slots=agent.slots,
                        busy=agent.busy,
                        last_seen_at=agent.last_seen_at,
                    )
                )
    for name, queues in sorted(pinged.items()):
        for queue in queues:
            if queue in found:
                found[queue].append(WorkerState(name=name, queues=tuple(queues), state="online"))
    # A fresh run heartbeat of an agent that is not beating its presence (or a process of
    # no agent) still shows someone serving the queue; a live agent's own runs do not count
    # twice.
    present = {a.name.split(" ", 1)[0] for a in agents if a.up}
    lease = timedelta(seconds=settings.FORGERYBENCH_RUN_LEASE_SECONDS)
    running = Submission.objects.filter(
        status=Status.RUNNING, heartbeat_at__gte=now - lease
    ).values_list("run_owner", "track__resource_class")
    for owner, resource in running:
        queue = GPU_QUEUE if resource == Track.ResourceClass.GPU else CPU_QUEUE
        names = {w.name.rpartition("@")[2] for w in found[queue]} | {w.name for w in found[queue]}
        host = owner.rpartition(":")[0]
        if owner and host not in names and owner not in names and host not in present:
            found[queue].append(WorkerState(name=owner, queues=(queue,), state="running"))
    return found


def median_run_seconds(*, queue: str) -> float | None:
    """Median running → scoring time of the last RECENT_RUNS runs on a run queue."""
    resource = _RESOURCE.get(queue)
    if resource is None:
        return None
    rows = (
        Submission.objects.filter(
            track__resource_class=resource, running_at__isnull=False, scoring_at__isnull=False
        )
        .order_by("-scoring_at")
        .values_list("running_at", "scoring_at")[:RECENT_RUNS]
    )
    spans = [
        (end - start).total_seconds()
        for start, end in rows
        if start is not None and end is not None and end >= start
    ]
    return statistics.median(spans) if spans else None


def median_wait_seconds(*, now: datetime, resource: str | None = None) -> float | None:
    """Median queued → running wait of the runs started in the last day (all queues)."""
    rows = Submission.objects.filter(
        running_at__gte=now - WAIT_WINDOW, queued_at__isnull=False
    ).filter(running_at__gte=F("queued_at"))
    if resource is not None:
        rows = rows.filter(track__resource_class=resource)
    waits = [
        (running - queued).total_seconds()
        for queued, running in rows.values_list("queued_at", "running_at")[:2000]
        if queued is not None and running is not None
    ]
    return statistics.median(waits) if waits else None


def _serve_order(resource: str) -> list[tuple[int, int, datetime | None]]:
    """(level, submission id, queued_at) of every waiting run on a queue, in serve order."""
    waiting = Submission.objects.filter(
        status=Status.QUEUED, track__resource_class=resource
    ).order_by("queued_at", "pk")
    seen: dict[int, int] = {}
    order = []
    for pk, team_id, queued_at in waiting.values_list("pk", "team_id", "queued_at"):
        ahead = seen.get(team_id, 0)
        seen[team_id] = ahead + 1
        order.append((priority_for_backlog(ahead), pk, queued_at))
    order.sort(key=lambda item: (item[0], item[2] or datetime.min.replace(tzinfo=UTC), item[1]))
    return order


def submission_queue_place(*, submission: Submission, now: datetime) -> QueuePlace | None:
    """Where a queued submission stands on its queue, or None once it left the queue."""
    if submission.status != Status.QUEUED:
        return None
    queue = submission.track.queue
    order = _serve_order(submission.track.resource_class)
    index = next((i for i, item in enumerate(order) if item[1] == submission.pk), None)
    if index is None:
        return None
    serving = workers_by_queue(now=now)[queue]
    live = [w for w in serving if w.live]
    workers = len(live)
    # Runs at once: an agent's slots (its processes), one for any other worker.
    capacity = sum(max(w.slots, 1) for w in live)
    median = median_run_seconds(queue=queue)
    eta_start = eta_finish = None
    if median is not None and capacity:
        busy = Submission.objects.filter(
            status=Status.RUNNING, track__resource_class=submission.track.resource_class
        ).count()
        waves = math.floor((index + min(busy, capacity)) / capacity)
        eta_start = now + timedelta(seconds=waves * median)
        eta_finish = eta_start + timedelta(seconds=median)
    return QueuePlace(
        queue=queue,
        position=index + 1,
        ahead=index,
        level=order[index][0],
        workers=workers,
        median_run_seconds=median,
        eta_start=eta_start,
        eta_finish=eta_finish,
        worker_states=worker_state_counts(serving),
    )


def queue_states(*, now: datetime) -> list[QueueState]:
    """Depth, workers and recent times of every queue (the public status page)."""
    workers = workers_by_queue(now=now)
    states = []
    for queue in (CPU_QUEUE, GPU_QUEUE, SCORE_QUEUE):
        if queue == SCORE_QUEUE:
            waiting = Submission.objects.filter(status=Status.SCORING).count()
            running = 0
        else:
            resource = _RESOURCE[queue]
            waiting = Submission.objects.filter(
                status=Status.QUEUED, track__resource_class=resource
            ).count()
            running = Submission.objects.filter(
                status=Status.RUNNING, track__resource_class=resource
            ).count()
        states.append(
            QueueState(
                queue=queue,
                waiting=waiting,
                running=running,
                workers=workers[queue],
                median_run_seconds=median_run_seconds(queue=queue),
                median_wait_seconds=median_wait_seconds(now=now, resource=_RESOURCE.get(queue))
                if queue in _RESOURCE
                else None,
            )
        )
    return states

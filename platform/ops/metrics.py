"""Prometheus metrics, read at scrape time from the database and the broker.

Workers come and go on many nodes; the database already records when every run and score
started and ended, so the web process derives the histograms from it instead of each worker
keeping counters that die with it. Everything here is cumulative, as Prometheus expects.
"""

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

from celery import current_app
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.utils import timezone
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from runs.selectors import agents_seen
from submissions.models import SplitRun, Status, Submission
from submissions.queues import ALL_QUEUES, CPU_QUEUE, GPU_QUEUE

QUEUES = ALL_QUEUES
RUN_QUEUES = (CPU_QUEUE, GPU_QUEUE)
RUN_BUCKETS = (1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
SCORE_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300)


def queue_depths(queues: Sequence[str] = QUEUES) -> dict[str, int]:
    """Messages waiting in each broker queue (raises when the broker does not answer)."""
    depths = {}
    with current_app.connection_for_read() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
        channel: Any = conn.default_channel  # a kombu Channel (the stub's type lacks declare)
        for queue in queues:
            # A plain declare (as the workers do) also answers for an empty queue, which
            # Redis stores as no key at all and a passive declare would call missing.
            _, count, _ = channel.queue_declare(queue=queue)
            depths[queue] = int(count)
    return depths


def _histogram(
    name: str,
    documentation: str,
    queryset: QuerySet,
    start: str,
    end: str,
    buckets: Sequence[float],
) -> HistogramMetricFamily:
    """One query: a conditional count per bucket and the sum of (end - start)."""
    rows = queryset.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).annotate(
        duration=ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    )
    aggregates = {
        f"le_{index}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
        for index, bound in enumerate(buckets)
    }
    totals = rows.aggregate(total=Count("pk"), sum=Sum("duration"), **aggregates)
    counts = [(str(float(bound)), totals[f"le_{i}"]) for i, bound in enumerate(buckets)]
    counts.append(("+Inf", totals["total"]))
    total_sum = totals["sum"].total_seconds() if totals["sum"] else 0.0
    return HistogramMetricFamily(name, documentation, buckets=counts, sum_value=total_sum)


AGENT_STATES = ("idle", "busy", "stale", "down")


def _run_agents() -> GaugeMetricFamily:
    """Run agents per run queue and presence state (those heard from within a day)."""
    counts: dict[tuple[str, str], int] = {}
    for agent in agents_seen(now=timezone.now()):
        for queue in agent.queues:
            counts[(queue, agent.state)] = counts.get((queue, agent.state), 0) + 1
    family = GaugeMetricFamily(
        "forgerybench_run_agents",
        "Run agents by queue and presence state (idle or busy: heard from within the window)",
        labels=["queue", "state"],
    )
    for queue in RUN_QUEUES:
        for state in AGENT_STATES:
            family.add_metric([queue, state], counts.get((queue, state), 0))
    return family


class PlatformCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        by_status = dict(
            Submission.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        submissions = GaugeMetricFamily(
            "forgerybench_submissions", "Submissions by current status", labels=["status"]
        )
        for status in Status.values:
            submissions.add_metric([status], by_status.get(status, 0))
        yield submissions

        yield _run_agents()

        failures = CounterMetricFamily(
            "forgerybench_submission_failures",
            "Failed submissions by failure code (platform_error is the platform's fault)",
            labels=["reason"],
        )
        for code, count in (
            Submission.objects.filter(status=Status.FAILED)
            .values_list("failure_code")
            .annotate(n=Count("pk"))
            .order_by("failure_code")
        ):
            failures.add_metric([code or "unknown"], count)
        yield failures

        yield _histogram(
            "forgerybench_run_duration_seconds",
            "Wall time of one container run on one split",
            SplitRun.objects.all(),
            "started_at",
            "ended_at",
            RUN_BUCKETS,
        )
        yield _histogram(
            "forgerybench_score_duration_seconds",
            "Time from a submission entering scoring to its results being written",
            Submission.objects.filter(status=Status.FINISHED),
            "scoring_at",
            "finished_at",
            SCORE_BUCKETS,
        )

        depth = GaugeMetricFamily(
            "forgerybench_queue_depth", "Messages waiting in a broker queue", labels=["queue"]
        )
        broker_up = GaugeMetricFamily(
            "forgerybench_broker_up", "1 when the broker answered this scrape"
        )
        try:
            depths = queue_depths()
        except Exception:
            broker_up.add_metric([], 0)
        else:
            broker_up.add_metric([], 1)
            for queue, count in depths.items():
                depth.add_metric([queue], count)
        yield depth
        yield broker_up


def metrics_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PlatformCollector())
    return registry

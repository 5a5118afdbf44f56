"""Run jobs (one container run each) and the agent credentials that carry them out.

Every container a submission causes (its pipeline runs, its out-of-distribution runs, the
audit tests' reruns) is one RunJob with one lease: an agent claims it (queued → running) and
gets an attempt token; it beats while the container runs; it reports the outcome once. The
sweeper returns a job whose agent stopped beating to queued, under a new attempt.
"""

from django.db import models

from benchmarks.models import Split
from submissions.models import Submission

# The run queues agents serve (a track's `queue`); the score queue is the platform's own.
RUN_QUEUES = ("cpu", "gpu")


class AgentCredential(models.Model):
    """What an agent presents (`Authorization: Agent <token>`): scoped to run jobs only, and
    to the jobs of the run queues it was given when the operator made it."""

    name = models.CharField(max_length=80, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    # The run queues whose jobs it may claim (a subset of RUN_QUEUES, set by the operator).
    queues = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class RunJob(models.Model):
    class Kind(models.TextChoices):
        RUN = "run"  # a submission's run on one of its track's splits
        OOD = "ood"  # a final pick's run on an out-of-distribution split
        RERUN = "rerun"  # an audit test's rerun on a planned subset of a split

    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        CANCELLED = "cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="jobs")
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="jobs")
    queue = models.CharField(max_length=10)
    priority = models.PositiveSmallIntegerField(default=0)
    image_id = models.CharField(max_length=80)
    # The folder the container sees as /input (a split's inputs, or a rerun's planned copy);
    # agents get it as a tar archive named by its sha256, never by this path.
    inputs_dir = models.CharField(max_length=500)
    inputs_sha256 = models.CharField(max_length=64, blank=True)
    limits = models.JSONField(default=dict)
    # Kind-specific facts the platform keeps for itself (an audit rerun's plan); never sent.
    payload = models.JSONField(default=dict, blank=True)

    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempt = models.PositiveIntegerField(default=0)
    attempt_token = models.CharField(max_length=64, blank=True)
    credential = models.ForeignKey(
        AgentCredential, on_delete=models.PROTECT, null=True, blank=True, related_name="jobs"
    )
    lease_owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    outcome = models.CharField(max_length=40, blank=True)
    message = models.TextField(blank=True)
    report = models.JSONField(default=dict, blank=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    artifacts_dir = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["state", "created_at"],
                name="runjob_active",
                condition=models.Q(state__in=["queued", "running"]),
            )
        ]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.kind} of submission {self.submission_id} on {self.split_id})"


class AgentPresence(models.Model):
    """What an agent last said of itself (`POST /api/agent/v1/presence`, every ~15 s, idle or
    busy): alive, serving these queues with so many slots, so many busy. One row per
    credential and agent name; a credential writes only its own rows."""

    credential = models.ForeignKey(
        AgentCredential, on_delete=models.CASCADE, related_name="presences"
    )
    name = models.CharField(max_length=80)
    queues = models.JSONField(default=list)
    slots = models.PositiveSmallIntegerField(default=0)
    busy = models.PositiveSmallIntegerField(default=0)
    gpu_devices = models.JSONField(default=list)
    started_at = models.DateTimeField(null=True, blank=True)  # the agent's own start
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    stopped = models.BooleanField(default=False)  # it said goodbye (a clean shutdown)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["credential", "name"], name="one_presence_per_agent")
        ]

    def __str__(self) -> str:
        return f"{self.credential.name}/{self.name}"

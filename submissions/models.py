"""A team's submitted image, its runs on each split, the scored results and their provenance."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from benchmarks.models import Phase, Split, Track


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SCORING = "scoring", _("Scoring")
    FINISHED = "finished", _("Finished")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


# Failure codes of faults that are the platform's, not the team's: they never use up a quota.
PLATFORM_FAILURE_CODES = ("platform_error", "platform_timeout", "image_missing")


class Submission(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="submissions")
    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="submissions")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    method_name = models.CharField(max_length=120)
    training_data = models.CharField(
        max_length=200, help_text="A benchmark slug, or 'other: <text>'"
    )
    # Image id is the content-addressed config digest the engine assigns ("sha256:…").
    # Identity pinned at submission time and never edited: what was declared with the image.
    model_card = models.TextField(blank=True)
    license = models.CharField(max_length=120, blank=True)
    image_id = models.CharField(max_length=80)
    image_reference = models.CharField(max_length=200, blank=True)
    tarball_sha256 = models.CharField(max_length=64, blank=True)
    tarball_size = models.BigIntegerField(null=True, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    running_at = models.DateTimeField(null=True, blank=True)
    scoring_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    failure_code = models.CharField(max_length=40, blank=True)
    failure_reason = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)
    # A rerun is a new submission of the same pinned identity; scores are never edited in place.
    rerun_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reruns"
    )
    # Disqualified submissions keep their rows and results but leave every leaderboard.
    disqualified_at = models.DateTimeField(null=True, blank=True)
    disqualified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disqualified_reason = models.TextField(blank=True)
    # Who runs it now ("host:pid" of the worker process) and when that worker last said so:
    # a redelivered run takes over only from an owner that is gone.
    run_owner = models.CharField(max_length=120, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When a run or score message was last sent: the sweeper resends at most once a deadline.
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # Cheap scans for the sweeper and the queue views: only unfinished rows.
            models.Index(
                fields=["status", "created_at"],
                name="submission_active",
                condition=models.Q(status__in=["queued", "running", "scoring"]),
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.team} / {self.method_name}"

    @property
    def is_done(self) -> bool:
        return self.status in (Status.FINISHED, Status.FAILED, Status.CANCELLED)


class SplitRun(models.Model):
    """One container run of a submission on one split: what was run, how, and how it ended."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="runs")
    container_id = models.CharField(max_length=80, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    outcome = models.CharField(max_length=40, blank=True)
    runtime_flags = models.JSONField(default=dict)
    artifacts_dir = models.CharField(max_length=500, blank=True)
    # The container's own stdout/stderr: shown to the team on public splits only.
    log_tail = models.TextField(blank=True)
    # What the platform measured (null: not measured): the cgroup's memory high-water mark and
    # the bytes copied out of /output. With exit code and wall time, all a team sees of a
    # hidden run, rounded (submissions.run_disclosure).
    peak_memory_bytes = models.BigIntegerField(null=True, blank=True)
    output_bytes = models.BigIntegerField(null=True, blank=True)
    # The lease of a run that is its own unit of work (an OOD run): who runs it, when it last
    # said so, and when its message was last sent, for the sweeper to recover a lost one.
    run_owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "split"], name="one_run_per_split")
        ]


class Result(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="results")
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="results")
    metrics = models.JSONField()
    primary_value = models.FloatField(null=True)
    protocol_version = models.PositiveSmallIntegerField()
    evaluator_version = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)
    # The disclosure policy of the phase the submission was made in, as it stood when scored
    # (benchmarks.disclosure.policy_record).
    disclosure = models.JSONField(default=dict, blank=True)
    # With a public fraction: {"public": {...}, "private": {...}}, each the metrics of that
    # part alone, scored separately from the part's own units (never one from the other).
    parts = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "split"], name="one_result_per_split")
        ]


class FinalPick(models.Model):
    """A team's choice of one submission to count for a phase (scored on the OOD tier)."""

    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="final_picks_made")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="final_picks")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="picks")
    picked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Picks made by the platform (a team's best two on test when it chose none) say so.
    automatic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["phase", "submission"], name="one_pick_per_submission")
        ]


class Provenance(models.Model):
    """Everything needed to say where one Result came from; written with the Result."""

    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="provenance")
    # The submission's identity, pinned as it was scored.
    image_id = models.CharField(max_length=80)
    image_digest = models.CharField(max_length=200, blank=True)
    image_reference = models.CharField(max_length=200, blank=True)
    tarball_sha256 = models.CharField(max_length=64, blank=True)
    tarball_size = models.BigIntegerField(null=True, blank=True)
    method_name = models.CharField(max_length=120)
    training_data = models.CharField(max_length=200)
    # The declared model card (by its SHA-256; the text stays on the submission) and license.
    model_card_sha256 = models.CharField(max_length=64, blank=True)
    license = models.CharField(max_length=120, blank=True)
    # The data it was scored on.
    split = models.ForeignKey(Split, on_delete=models.PROTECT, related_name="+")
    manifest_sha256 = models.CharField(max_length=64)
    labels_sha256 = models.CharField(max_length=64)
    sample_count = models.PositiveIntegerField()
    # The scorer and its settings.
    protocol_version = models.PositiveSmallIntegerField()
    evaluator_version = models.CharField(max_length=40)
    evaluator_commit = models.CharField(max_length=40, blank=True)
    metric_settings = models.JSONField(default=dict)
    bootstrap_seed = models.BigIntegerField()
    # Where and how it ran.
    worker_host = models.CharField(max_length=200)
    engine_host = models.CharField(max_length=200, blank=True)
    gpu_model = models.CharField(max_length=200, blank=True)
    gpu_driver = models.CharField(max_length=80, blank=True)
    runtime_flags = models.JSONField(default=dict)
    container_id = models.CharField(max_length=80, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    run_outcome = models.CharField(max_length=40, blank=True)
    step_times = models.JSONField(default=dict)
    # Stored per-sample predictions and the unit table (trusted storage).
    predictions_path = models.CharField(max_length=500)
    predictions_sha256 = models.CharField(max_length=64)
    predictions_size = models.BigIntegerField()
    units_path = models.CharField(max_length=500, blank=True)
    units_sha256 = models.CharField(max_length=64, blank=True)
    metrics_sha256 = models.CharField(max_length=64)
    # A record missing a required field is never shown on a leaderboard.
    complete = models.BooleanField(default=False)
    missing = models.JSONField(default=list)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"provenance of result {self.result_id}"


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified"
    VERIFIED = "verified"
    FLAGGED = "flagged"
    REMOVED = "removed"


class ResultReview(models.Model):
    """A reviewer's verdict on one Result; every change is also an audit log entry.

    Written unverified with the Result's provenance; the review app's services change it.
    The leaderboards' "shown" rule (selectors.result_filter_shown) reads it."""

    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    reason = models.TextField(blank=True)
    changed_by = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

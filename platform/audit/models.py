"""Audit records: provenance of every Result, the hash-chained log, rescoring and audit-test
reports, verification status, objections and their discussion.

Nothing here edits a score. A Result is written once by the pipeline; everything else is an
append (a new log entry, a new report) or a status change recorded in the log.
"""

from django.conf import settings
from django.db import models

from accounts.models import Team
from benchmarks.models import Split, Track
from submissions.models import Result


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
    """A reviewer's verdict on one Result; every change is also an audit log entry."""

    result = models.OneToOneField(Result, on_delete=models.PROTECT, related_name="review")
    status = models.CharField(
        max_length=12, choices=VerificationStatus.choices, default=VerificationStatus.UNVERIFIED
    )
    reason = models.TextField(blank=True)
    changed_by = models.CharField(max_length=150, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)


class AuditAction(models.TextChoices):
    RESULT_WRITTEN = "result_written"
    RESULTS_PUBLISHED = "results_published"
    RESULTS_HIDDEN = "results_hidden"
    RERUN = "rerun"
    RESCORED = "rescored"
    AUDIT_TESTS = "audit_tests"
    VERIFIED = "verified"
    FLAGGED = "flagged"
    UNVERIFIED = "unverified"
    DISQUALIFIED = "disqualified"
    OBJECTION_RAISED = "objection_raised"
    OBJECTION_UPHELD = "objection_upheld"
    OBJECTION_REJECTED = "objection_rejected"
    COMMENT = "comment"
    DEFINITION_CHANGED = "definition_changed"
    REVIEWER_ADDED = "reviewer_added"
    # Provenance written later for a Result scored before provenance existed (never complete).
    PROVENANCE_BACKFILLED = "provenance_backfilled"
    FINAL_PICKED = "final_picked"
    FINAL_UNPICKED = "final_unpicked"
    OOD_REVEALED = "ood_revealed"
    TEAMS_MERGED = "teams_merged"
    TERMS_ACCEPTED = "terms_accepted"
    # A benchmark definition (YAML) applied from the organizer console: who, which file, digest.
    DEFINITION_APPLIED = "definition_applied"


class AuditEntry(models.Model):
    """One link of the append-only log. ``entry_hash`` covers every field and ``prev_hash``.

    The chain is the tamper evidence: editing any stored field breaks that entry's hash,
    removing an entry breaks the next one's link. On PostgreSQL a trigger also refuses UPDATE
    and DELETE on this table.
    """

    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="username, or 'system'")
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=80)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64, unique=True)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_entry_target"),
            models.Index(fields=["action", "seq"], name="audit_entry_action"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class AuditChainHead(models.Model):
    """A single row locked by every append, so concurrent writers extend one chain in turn.

    ``head_mac`` is the HMAC of (seq, last_hash) under FORGERYBENCH_AUDIT_HMAC_KEY, a key kept
    outside the database (audit.anchor); empty while no key is configured.
    """

    seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    head_mac = models.CharField(max_length=64, blank=True, default="")


class RescoreReport(models.Model):
    """One recomputation of a Result from its stored predictions and the sealed labels."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="rescores")
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    evaluator_version = models.CharField(max_length=40)
    protocol_version = models.PositiveSmallIntegerField()
    matches = models.BooleanField()
    differences = models.JSONField(default=list)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]


class TrackAuditPolicy(models.Model):
    """Per-track settings of the audit tests (defaults apply to a track without a row)."""

    track = models.OneToOneField(Track, on_delete=models.CASCADE, related_name="audit_policy")
    subset_size = models.PositiveIntegerField(default=16)
    tolerance = models.FloatField(
        default=1e-6, help_text="largest per-sample score difference a rerun may show"
    )
    mask_tolerance = models.FloatField(
        default=0.0,
        help_text="largest fraction of a mask's pixels (binarized at v >= 128) a rerun may flip",
    )


class AuditTestReport(models.Model):
    """One platform-run audit test on a Result (after MLPerf's compliance tests)."""

    class Kind(models.TextChoices):
        DETERMINISM = "determinism"
        NO_CUES = "no_cues"

    class Outcome(models.TextChoices):
        PASSED = "passed"
        FAILED = "failed"
        ERROR = "error"

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="audit_tests")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    seed = models.BigIntegerField()
    tolerance = models.FloatField()
    subset = models.JSONField(default=list, help_text="sample ids rerun")
    moved = models.JSONField(default=list, help_text="samples whose output changed")
    summary = models.TextField()
    run_outcome = models.CharField(max_length=40, blank=True)
    image_id = models.CharField(max_length=80)
    actor = models.CharField(max_length=150)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at"]


class Objection(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        UPHELD = "upheld"
        REJECTED = "rejected"

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="objections")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="objections")
    raised_by = models.CharField(max_length=150)
    rule = models.CharField(max_length=200, help_text="the protocol rule, e.g. '§5 selection'")
    evidence = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class Comment(models.Model):
    """The discussion thread on a Result's audit page: reviewers, the team, objectors."""

    result = models.ForeignKey(Result, on_delete=models.PROTECT, related_name="audit_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

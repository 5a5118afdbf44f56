"""Review records: rescoring and audit-test reports, each track's audit-test policy,
objections and the discussion on a Result.

Nothing here edits a score. Each is an append (a new report) or a status change recorded in
the audit log.
"""

from django.conf import settings
from django.db import models

from accounts.models import Team
from benchmarks.models import Track
from submissions.models import Result


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

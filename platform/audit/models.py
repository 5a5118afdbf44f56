"""The audit log: one hash-chained, append-only table every app appends to, and its head.

Nothing here edits a score or knows what a Result is: entries name their target by type and id.
The records of provenance and review live with the apps that write them (submissions, review).
"""

from django.db import models


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

    Since entries hash a random ``payload["nonce"]`` (audit.chain), the public head confirms no
    guess of an entry; the payload, nonce and all, is for reviewers.

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

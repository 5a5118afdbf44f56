"""API tokens (stored hashed), resumable upload sessions and idempotency keys."""

import uuid

from django.conf import settings
from django.db import models

from accounts.models import Team
from benchmarks.models import Track
from submissions.models import Submission


class ApiToken(models.Model):
    """A bearer token. Only its SHA-256 is stored: the key is shown once, when it is made."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    # The first characters of the key, so a person can tell their tokens apart.
    prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class UploadSession(models.Model):
    """An image tarball arriving in chunks; it becomes a submission once complete and checked."""

    class State(models.TextChoices):
        RECEIVING = "receiving"
        COMPLETE = "complete"
        SUBMITTED = "submitted"
        FAILED = "failed"
        EXPIRED = "expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="upload_sessions"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="+")
    method_name = models.CharField(max_length=120)
    training_data = models.CharField(max_length=200)
    # The identity declared with the image, copied onto the submission when it is made.
    model_card = models.TextField(blank=True)
    license = models.CharField(max_length=120, blank=True)
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    received = models.BigIntegerField(default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVING)
    failure_code = models.CharField(max_length=40, blank=True)
    failure_message = models.TextField(blank=True)
    submission = models.OneToOneField(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="upload_open",
                condition=models.Q(state__in=["receiving", "complete"]),
            )
        ]

    def __str__(self) -> str:
        return f"upload {self.pk} ({self.received}/{self.size} bytes, {self.state})"


class IdempotencyKey(models.Model):
    """A client-chosen key that makes a retried submission request return the first answer."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    # SHA-256 of the request the key was first used with: reusing it for another is refused.
    fingerprint = models.CharField(max_length=64)
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")
        ]

"""What the platform tells a person: in-site notifications, their mail state and preferences."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    SUBMISSION = "submission", _("A submission of my team finished or failed")
    RESULTS = "results", _("Hidden results of my team were published")
    REVEAL = "reveal", _("Final picks were revealed")
    OBJECTION = "objection", _("Another team objected to my team's result")
    BROADCAST = "broadcast", _("Messages from a benchmark's organizers")
    TEAM = "team", _("Team invitations and membership changes")


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("One mail per event")
    DAILY = "daily", _("One daily digest")
    NEVER = "never", _("No mail (the site list only)")


class Preference(models.Model):
    """A person's mail settings; no row means the defaults (every kind, one mail per event)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, default=Frequency.IMMEDIATE
    )
    # Kinds this person receives no mail for (they still appear in the site's list).
    muted_kinds = models.JSONField(default=list, blank=True)
    # The language of this person's notifications and mails (a code of settings.LANGUAGES);
    # empty: the site's default. Set on the settings page and by the language switch.
    language = models.CharField(max_length=10, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.frequency}"


class EmailState(models.TextChoices):
    PENDING = "pending"  # waits for the send task
    DIGEST = "digest"  # waits for the daily digest
    SENT = "sent"
    SKIPPED = "skipped"  # no address, muted kind, or mail switched off
    FAILED = "failed"  # the mail server refused the address


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    # A path on this site ("/submissions/12/"); mails make it absolute with FORGERYBENCH_SITE_URL.
    link = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=10, choices=EmailState.choices)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(
                fields=["email_state", "user"],
                name="notification_mail_waiting",
                condition=models.Q(email_state__in=["pending", "digest"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.subject}"


class Broadcast(models.Model):
    """An organizer's message to everyone taking part in a benchmark."""

    benchmark = models.ForeignKey(
        "benchmarks.Benchmark", on_delete=models.CASCADE, related_name="broadcasts"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    recipients = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

"""Teams and their members. Organizers are Django staff users."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Rows from the platform's own reference submissions are marked as such on leaderboards.
    is_baseline = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams"
    )
    # Set by an organizer's merge (submissions.merges.team_merge): this team's submissions,
    # pinned to it, count and rank as the other team's from then on; it takes no new ones.
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_teams"
    )
    merged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MEMBER = "member", _("Member")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


class Invitation(models.Model):
    """An owner's invitation to join a team: a link to share, or one mailed to an address.

    A link invitation serves anyone who opens it until it expires or is revoked; a mailed one
    serves one person once. The token in the link is the row's id signed with the site's key
    (accounts.invitations), so nothing secret is stored here.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    email = models.EmailField(blank=True, help_text="Empty for a link anyone may use")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    # A mailed invitation's mail: claimed (set) before the SMTP conversation, cleared on failure.
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation to {self.team} ({self.email or 'link'})"

    @property
    def is_link(self) -> bool:
        return not self.email


class ThrottleHistory(models.Model):
    """The attempts one throttle counted under one key (accounts.throttles: signups per client
    address, API tokens per account). In the database, not the shared cache: the cache evicts
    (it holds sessions and pages anyone can make more of), and an evicted count would let the
    next attempts through."""

    key = models.CharField(max_length=200, unique=True)
    history = models.JSONField(default=list)  # attempt times (seconds), newest first
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key

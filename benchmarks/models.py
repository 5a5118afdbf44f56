"""Benchmarks, their tracks and the data splits each track is scored on."""

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

# Everything ever submitted: the disclosure cutoff of a public split.
ALWAYS = datetime.max.replace(tzinfo=UTC)


class Task(models.TextChoices):
    DETECTION = "detection"
    LOCALIZATION = "localization"
    RETRIEVAL = "retrieval"
    VIDEO_LOCALIZATION = "video_localization"


class Benchmark(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # Generated data is labelled as such wherever the benchmark is shown.
    synthetic = models.BooleanField(default=False)
    # The definition file it was loaded from (benchmarks/definitions/*.yaml), blank if made by hand.
    definition_file = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Track(models.Model):
    class ResourceClass(models.TextChoices):
        CPU = "cpu"
        GPU = "gpu"

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="tracks")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    task = models.CharField(max_length=32, choices=Task.choices)
    primary_metric = models.CharField(max_length=40)
    resource_class = models.CharField(
        max_length=8, choices=ResourceClass.choices, default=ResourceClass.CPU
    )
    timeout_seconds = models.PositiveIntegerField(default=600)
    memory_mb = models.PositiveIntegerField(default=2048)
    cpus = models.DecimalField(max_digits=5, decimal_places=2, default=1)
    # Submission quotas per team (empty: no limit). Failures the platform caused never count.
    daily_submission_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per team per UTC day; empty for no limit"
    )
    total_submission_limit = models.PositiveIntegerField(
        null=True, blank=True, help_text="Per team over the track's life; empty for no limit"
    )
    description = models.TextField(blank=True)

    # Which submission stands for a team on the leaderboard: its best by the primary metric on
    # the hidden split, or its latest finished one.
    class EntryRule(models.TextChoices):
        BEST = "best"
        LAST = "last"

    entry_rule = models.CharField(max_length=8, choices=EntryRule.choices, default=EntryRule.BEST)
    # A robustness track holds hidden perturbed copies of one split of another track
    # (protocol §6): one split per perturbation level plus the unperturbed "clean" copy.
    robustness_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="robustness_tracks"
    )

    class Meta:
        ordering = ["benchmark__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "slug"], name="track_slug_per_benchmark")
        ]

    def __str__(self) -> str:
        return f"{self.benchmark.name} / {self.name}"

    @property
    def queue(self) -> str:
        return "gpu" if self.resource_class == self.ResourceClass.GPU else "cpu"


class Split(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public"
        HIDDEN = "hidden"
        # Out-of-distribution hidden tier: from another source, run only on final picks and
        # revealed at phase end (the DFDC lesson: public-board order need not survive new data).
        OOD = "ood"

    track = models.ForeignKey(Track, on_delete=models.CASCADE, related_name="splits")
    name = models.SlugField(max_length=40)
    visibility = models.CharField(max_length=8, choices=Visibility.choices)
    # inputs_dir is what a container sees at /input; labels_path is the sealed truth file,
    # kept in a tree that is never mounted into any container.
    inputs_dir = models.CharField(max_length=500)
    labels_path = models.CharField(max_length=500)
    inputs_sha256 = models.CharField(max_length=64, help_text="SHA-256 of manifest.jsonl")
    labels_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the truth file")
    sample_count = models.PositiveIntegerField()
    # Publication is an event, not a switch: hidden results of submissions made up to this
    # moment are disclosed (an organizer's last publication); later ones stay hidden until the
    # next publication moment (benchmarks.disclosure also counts the phases' declared ones).
    published_through = models.DateTimeField(null=True, blank=True)
    # How the files were made: generator and seed, importer options, frame count, face crops,
    # perturbation seed; compared on reload so that a change never silently replaces data
    # that results were scored on.
    metadata = models.JSONField(default=dict, blank=True)
    # Robustness splits: the perturbation and its level ("" and null for clean data).
    perturbation = models.CharField(max_length=16, blank=True)
    level = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["track", "visibility", "name"]
        constraints = [
            models.UniqueConstraint(fields=["track", "name"], name="split_name_per_track")
        ]

    def __str__(self) -> str:
        return f"{self.track} / {self.name}"

    # The small public split every track gets (benchmarks.definitions_apply): a few samples in the
    # hidden split's format, run on every submission so a crash is debuggable with full logs.
    # It is not ranked: leaderboards leave it out.
    DEBUG = "debug"

    @property
    def is_debug(self) -> bool:
        return self.name == self.DEBUG and self.visibility == self.Visibility.PUBLIC

    @property
    def results_published(self) -> bool:
        """An organizer has published this split at least once (see ``published_through``)."""
        return self.published_through is not None

    def disclosed_through(self, *, now: datetime | None = None) -> datetime | None:
        """Results of submissions made at or before this moment may be shown; None: none yet
        (protocol §5; the policy is told in benchmarks.disclosure)."""
        if self.visibility == self.Visibility.PUBLIC:
            return ALWAYS
        now = now or timezone.now()
        moments = [self.published_through] if self.published_through else []
        if self.visibility == self.Visibility.HIDDEN:
            # OOD splits are disclosed by the reveal alone (they hold final picks only).
            for phase in Phase.objects.filter(benchmark_id=self.track.benchmark_id):
                moments += phase.publication_moments(now=now)
        return max(moments, default=None)

    @property
    def results_visible(self) -> bool:
        """Whether any result of this split may be shown to everyone now: a public split, or a
        hidden one with a publication moment passed. Which results: benchmarks.disclosure."""
        return self.disclosed_through() is not None

    @property
    def shortcut_scan(self) -> dict[str, Any] | None:
        """The import's shortcut scan (benchmarks.shortcuts), None for splits made before it."""
        metadata = self.metadata if isinstance(self.metadata, dict) else {}
        record = metadata.get("import")
        scan = record.get("shortcut_scan") if isinstance(record, dict) else None
        scan = scan or metadata.get("shortcut_scan")
        return scan if isinstance(scan, dict) else None


class Phase(models.Model):
    """A period of a benchmark: when submissions are open and how many final picks count."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="phases")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=120)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    # Out-of-distribution hidden splits run only on each team's final picks (protocol §5).
    final_picks = models.PositiveSmallIntegerField(default=2)
    # One person, one quota: a person takes part through at most one team in this phase, so
    # quotas and picks (per team) cannot be multiplied by making teams. Organizers may relax it.
    one_team_per_person = models.BooleanField(default=True)
    # Set once by the organizer's reveal: picks freeze, OOD runs start, the OOD tier shows.
    revealed_at = models.DateTimeField(null=True, blank=True)
    revealed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    # The disclosure policy (benchmarks.spec.DisclosureDef): when hidden results of
    # submissions made in this phase are disclosed, and the optional public part.
    class Publish(models.TextChoices):
        ORGANIZER = "organizer"
        AT_END = "at_end"

    publish = models.CharField(max_length=12, choices=Publish.choices, default=Publish.ORGANIZER)
    publication_schedule = models.JSONField(default=list, blank=True)
    public_fraction = models.FloatField(null=True, blank=True)
    public_seed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["benchmark", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "slug"], name="phase_slug_per_benchmark"),
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="phase_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.benchmark.name} / {self.name}"

    def publication_moments(self, *, now: datetime) -> list[datetime]:
        """The phase's declared publication moments that have passed by ``now``."""
        moments = [datetime.fromisoformat(m) for m in self.publication_schedule or []]
        if self.publish == self.Publish.AT_END and self.ends_at is not None:
            moments.append(self.ends_at)
        return [m for m in moments if m <= now]


class Terms(models.Model):
    """One version of a benchmark's terms of participation and data use (from its file).

    A version's text never changes: changed terms are a new version, which every team accepts
    again before it submits."""

    benchmark = models.ForeignKey(Benchmark, on_delete=models.CASCADE, related_name="terms")
    version = models.CharField(max_length=40)
    text = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["benchmark", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["benchmark", "version"], name="terms_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.benchmark.name} terms v{self.version}"


class TermsAcceptance(models.Model):
    """A team accepted one version of a benchmark's terms (written once, audited)."""

    terms = models.ForeignKey(Terms, on_delete=models.PROTECT, related_name="acceptances")
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["terms", "team"], name="terms_accepted_once")
        ]

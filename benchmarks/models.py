"""Benchmarks, their tracks and the data splits each track is scored on."""

from django.db import models


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
    # Hidden results appear on the leaderboard only once published by an organizer.
    results_published = models.BooleanField(default=False)

    class Meta:
        ordering = ["track", "visibility", "name"]
        constraints = [
            models.UniqueConstraint(fields=["track", "name"], name="split_name_per_track")
        ]

    def __str__(self) -> str:
        return f"{self.track} / {self.name}"

    @property
    def results_visible(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC or self.results_published

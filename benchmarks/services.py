"""Writes for benchmarks: registering splits from sealed files, publishing hidden results."""

from datetime import datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_append
from evaluator.splitformat import MANIFEST_FILE, TASK_FILE, file_sha256
from lib.invalidation import invalidate_now_and_at_commit

from .models import Benchmark, Split, Track
from .results_generation import generation_bump, generation_key
from .signals import results_published


class SplitFilesError(ValueError):
    """A split's files are missing or laid out so that labels could leak."""


def _check_split_files(inputs_dir: Path, labels_path: Path) -> int:
    manifest = inputs_dir / MANIFEST_FILE
    problems = []
    if not (inputs_dir / TASK_FILE).is_file():
        problems.append(f"{inputs_dir / TASK_FILE} is missing")
    if not manifest.is_file():
        problems.append(f"{manifest} is missing")
    if not labels_path.is_file():
        problems.append(f"labels file {labels_path} is missing")
    if labels_path.resolve().is_relative_to(inputs_dir.resolve()):
        problems.append(f"labels file {labels_path} lies inside the inputs folder {inputs_dir}")
    if problems:
        raise SplitFilesError("; ".join(problems))
    with manifest.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


@transaction.atomic
def benchmark_upsert(*, slug: str, name: str, description: str, synthetic: bool) -> Benchmark:
    benchmark, _ = Benchmark.objects.update_or_create(
        slug=slug, defaults={"name": name, "description": description, "synthetic": synthetic}
    )
    return benchmark


@transaction.atomic
def track_upsert(
    *,
    benchmark: Benchmark,
    slug: str,
    name: str,
    task: str,
    primary_metric: str,
    resource_class: str = Track.ResourceClass.CPU,
    timeout_seconds: int = 600,
    memory_mb: int = 2048,
    cpus: float = 1.0,
    entry_rule: str = Track.EntryRule.BEST,
) -> Track:
    # The entry rule picks which row stands for a team: a change re-ranks the boards.
    before = Track.objects.filter(benchmark=benchmark, slug=slug).values_list(
        "entry_rule", flat=True
    )
    old_rule = before.first()
    track, _ = Track.objects.update_or_create(
        benchmark=benchmark,
        slug=slug,
        defaults={
            "name": name,
            "task": task,
            "primary_metric": primary_metric,
            "resource_class": resource_class,
            "timeout_seconds": timeout_seconds,
            "memory_mb": memory_mb,
            "cpus": cpus,
            "entry_rule": entry_rule,
        },
    )
    if old_rule is not None and old_rule != entry_rule:
        transaction.on_commit(lambda: track_results_changed(track=track))
    return track


@transaction.atomic
def split_register(
    *, track: Track, name: str, visibility: str, inputs_dir: Path, labels_path: Path
) -> Split:
    """Record a split whose files are already sealed on disk, with their SHA-256 digests."""
    sample_count = _check_split_files(inputs_dir, labels_path)
    split, _ = Split.objects.update_or_create(
        track=track,
        name=name,
        defaults={
            "visibility": visibility,
            "inputs_dir": str(inputs_dir.resolve()),
            "labels_path": str(labels_path.resolve()),
            "inputs_sha256": file_sha256(inputs_dir / MANIFEST_FILE),
            "labels_sha256": file_sha256(labels_path),
            "sample_count": sample_count,
        },
    )
    return split


def split_publish_results(
    *,
    split: Split,
    published: bool = True,
    actor: str = "system",
    reason: str = "",
    through: datetime | None = None,
) -> Split:
    """A publication event: disclose the split's hidden results of every submission made up to
    now, or up to ``through`` (not in the future); ``published=False`` withdraws every
    organizer publication. Later submissions stay hidden until the next publication. Each event
    is an audit log entry."""

    now = timezone.now()
    if through is not None and through > now:
        raise ValueError(f"a publication cannot reach into the future ({through.isoformat()})")
    with transaction.atomic():
        through = (through or now) if published else None
        moved = Split.objects.filter(pk=split.pk).update(published_through=through)
        if moved and (published or split.published_through is not None):
            audit_append(
                action=AuditAction.RESULTS_PUBLISHED if published else AuditAction.RESULTS_HIDDEN,
                target_type="split",
                target_id=split.pk,
                actor=actor,
                reason=reason,
                payload={
                    "split": str(split),
                    "labels_sha256": split.labels_sha256,
                    "published_through": through.isoformat() if through else None,
                },
            )
            if published:
                results_published.send_robust(sender=Split, split=split)
    split.refresh_from_db(fields=["published_through"])
    if moved:
        track_results_changed(track=split.track)
    return split


def track_results_changed(*, track: Track) -> None:
    """Invalidate the track's cached leaderboards: call after any write they show.

    Inside a transaction it bumps again at commit: a reader between the two still sees the rows
    from before the write and caches them under the first new generation, which the second
    bump leaves behind (else a removed result would stay on the board until the next change).
    """
    key = generation_key(benchmark_slug=track.benchmark.slug, track_slug=track.slug)
    invalidate_now_and_at_commit(lambda: generation_bump(key))

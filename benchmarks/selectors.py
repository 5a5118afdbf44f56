from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Count, Max, QuerySet

from .models import Benchmark, Split, Track


def benchmark_list() -> QuerySet[Benchmark]:
    return Benchmark.objects.annotate(
        track_count=Count("tracks", distinct=True),
        team_count=Count("tracks__submissions__team", distinct=True),
        last_result_at=Max("tracks__submissions__finished_at"),
    ).prefetch_related("tracks")


def track_get(*, benchmark_slug: str, track_slug: str) -> Track:
    return Track.objects.select_related("benchmark").get(
        benchmark__slug=benchmark_slug, slug=track_slug
    )


def split_list_for_track(*, track: Track) -> list[Split]:
    # Public splits first: teams look at val before test.
    return sorted(track.splits.all(), key=lambda s: (s.visibility != "public", s.name))


@dataclass(frozen=True)
class LevelResult:
    split: str
    perturbation: str
    level: float
    value: float | None


@dataclass(frozen=True)
class RobustnessRow:
    """One submission on a robustness track: the clean score, every level, relative robustness.

    ``relative`` is the mean of the primary metric over levels divided by the clean value
    (protocol §6), overall and per perturbation; None where the clean value is 0 or missing.
    """

    submission_id: int
    team: str
    method: str
    clean: float | None
    levels: list[LevelResult]
    mean_by_perturbation: dict[str, float]
    relative_by_perturbation: dict[str, float | None]
    relative: float | None


def _ratio(value: float | None, clean: float | None) -> float | None:
    if value is None or clean is None or clean == 0:
        return None
    return value / clean


def robustness_results(*, track: Track, visible_only: bool = True) -> list[RobustnessRow]:
    """Per-level results and relative robustness of every finished submission on ``track``."""
    from submissions.models import Result, Status

    splits = [s for s in track.splits.all() if s.results_visible or not visible_only]
    clean = next((s for s in splits if not s.perturbation), None)
    # Mildest level first: high JPEG quality and large resize factors are the mild ones.
    descending = {"jpeg", "resize"}
    perturbed = sorted(
        (s for s in splits if s.perturbation),
        key=lambda s: (
            s.perturbation,
            -(s.level or 0) if s.perturbation in descending else s.level,
        ),
    )
    results = Result.objects.filter(
        split__in=splits, submission__status=Status.FINISHED, submission__disqualified_at=None
    ).select_related("submission", "submission__team")
    by_submission: dict[int, dict[int, Result]] = {}
    for result in results:
        by_submission.setdefault(result.submission_id, {})[result.split_id] = result
    rows = []
    for submission_id, found in sorted(by_submission.items()):
        submission = next(iter(found.values())).submission
        clean_value = found[clean.pk].primary_value if clean and clean.pk in found else None
        levels = [
            LevelResult(
                split=s.name,
                perturbation=s.perturbation,
                level=float(s.level or 0),
                value=found[s.pk].primary_value if s.pk in found else None,
            )
            for s in perturbed
        ]
        groups: dict[str, list[float]] = {}
        for level in levels:
            if level.value is not None:
                groups.setdefault(level.perturbation, []).append(level.value)
        means = {kind: sum(v) / len(v) for kind, v in groups.items()}
        every = [v for values in groups.values() for v in values]
        rows.append(
            RobustnessRow(
                submission_id=submission_id,
                team=submission.team.name,
                method=submission.method_name,
                clean=clean_value,
                levels=levels,
                mean_by_perturbation=means,
                relative_by_perturbation={k: _ratio(m, clean_value) for k, m in means.items()},
                relative=_ratio(sum(every) / len(every) if every else None, clean_value),
            )
        )
    return rows


def track_results_generation(*, benchmark_slug: str, track_slug: str) -> int:
    """A counter bumped by every write that changes what a track's leaderboards show."""
    return int(cache.get(f"track-results-generation:{benchmark_slug}:{track_slug}", 0))

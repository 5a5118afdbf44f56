from django.db.models import Count, Max, QuerySet

from evaluator.metrics import task_spec

from .models import Benchmark, Split, Track
from .results_generation import generation_key, generation_peek, generation_read


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
    """The ranked splits: public first (teams look at val before test); the debug split is
    for debugging, never ranked."""
    ranked = [s for s in track.splits.all() if not s.is_debug]
    return sorted(ranked, key=lambda s: (s.visibility != "public", s.name))


def higher_is_better(track: Track, metric: str) -> bool:
    """Whether a larger value of ``metric`` is better on this track (the evaluator's registry)."""
    return task_spec(track.task).metric(metric).higher_is_better


def selection_split(*, track: Track) -> Split | None:
    """The public split whose numbers choose a team's entry on hidden boards (``val`` first;
    never the debug split, a handful of samples that is not ranked)."""
    public = [
        s for s in track.splits.all() if s.visibility == Split.Visibility.PUBLIC and not s.is_debug
    ]
    return min(public, key=lambda s: (s.name != "val", s.name), default=None)


def track_results_generation(*, benchmark_slug: str, track_slug: str) -> int | None:
    """A counter bumped by every write that changes what a track's leaderboards show; None
    when there is no such track. Whether the track exists is asked only when the counter is
    missing, so an address naming no track (anyone can make up thousands) starts no counter in
    the shared cache, where it would push sessions and pages out."""
    key = generation_key(benchmark_slug=benchmark_slug, track_slug=track_slug)
    generation = generation_peek(key)
    if generation is not None:
        return generation
    if not Track.objects.filter(benchmark__slug=benchmark_slug, slug=track_slug).exists():
        return None
    return generation_read(key)

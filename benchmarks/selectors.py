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

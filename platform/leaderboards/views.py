from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

import evaluator
from benchmarks.models import Benchmark, Track
from benchmarks.selectors import benchmark_list, split_list_for_track, track_get

from .selectors import leaderboard_for_split


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "leaderboards/home.html", {"benchmarks": benchmark_list()})


def benchmark_detail(request: HttpRequest, benchmark_slug: str) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=benchmark_slug)
    return render(
        request,
        "leaderboards/benchmark.html",
        {
            "benchmark": benchmark,
            "tracks": benchmark.tracks.all(),
            "protocol": evaluator.PROTOCOL_VERSION,
        },
    )


def track_leaderboard(request: HttpRequest, benchmark_slug: str, track_slug: str) -> HttpResponse:
    try:
        track = track_get(benchmark_slug=benchmark_slug, track_slug=track_slug)
    except Track.DoesNotExist:
        raise Http404("no such track") from None
    boards = []
    for split in split_list_for_track(track=track):
        if split.results_visible:
            rows, columns = leaderboard_for_split(split=split, track=track)
        else:
            rows, columns = [], []
        boards.append({"split": split, "rows": rows, "columns": columns})
    return render(
        request,
        "leaderboards/track.html",
        {
            "track": track,
            "benchmark": track.benchmark,
            "boards": boards,
            "protocol": evaluator.PROTOCOL_VERSION,
        },
    )

from django.urls import path

from .views import boards, terms

urlpatterns = [
    path("", boards.home, name="home"),
    path("generalization/", boards.generalization, name="generalization"),
    path("b/<slug:benchmark_slug>/", boards.benchmark_detail, name="benchmark-detail"),
    path("b/<slug:benchmark_slug>/terms/", terms.benchmark_terms, name="benchmark-terms"),
    path(
        "b/<slug:benchmark_slug>/<slug:track_slug>/",
        boards.track_leaderboard,
        name="track-leaderboard",
    ),
    path(
        "b/<slug:benchmark_slug>/<slug:track_slug>/<slug:split_name>.<str:fmt>",
        boards.leaderboard_export,
        name="leaderboard-export",
    ),
]

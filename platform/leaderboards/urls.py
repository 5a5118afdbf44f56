from django.urls import path

from . import terms_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("generalization/", views.generalization, name="generalization"),
    path("b/<slug:benchmark_slug>/", views.benchmark_detail, name="benchmark-detail"),
    path("b/<slug:benchmark_slug>/terms/", terms_views.benchmark_terms, name="benchmark-terms"),
    path(
        "b/<slug:benchmark_slug>/<slug:track_slug>/",
        views.track_leaderboard,
        name="track-leaderboard",
    ),
    path(
        "b/<slug:benchmark_slug>/<slug:track_slug>/<slug:split_name>.<str:fmt>",
        views.leaderboard_export,
        name="leaderboard-export",
    ),
]

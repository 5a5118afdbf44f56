from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("b/<slug:benchmark_slug>/", views.benchmark_detail, name="benchmark-detail"),
    path(
        "b/<slug:benchmark_slug>/<slug:track_slug>/",
        views.track_leaderboard,
        name="track-leaderboard",
    ),
]

from django.urls import path

from . import views

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path(
        "splits/<int:split_id>/publication/",
        views.console_split_publication,
        name="console-split-publication",
    ),
    path(
        "teams/<int:team_id>/baseline/", views.console_team_baseline, name="console-team-baseline"
    ),
]

from django.urls import path

from . import picks_views, views

urlpatterns = [
    path("", views.submission_list, name="submission-list"),
    path("new/", views.submission_new, name="submission-new"),
    path("<int:pk>/", views.submission_detail, name="submission-detail"),
    path("<int:pk>/cancel/", views.submission_cancel_view, name="submission-cancel"),
    path("picks/<slug:team_slug>/", picks_views.team_picks, name="team-picks"),
    path(
        "picks/phase/<int:phase_id>/<int:submission_id>/",
        picks_views.pick_change,
        name="pick-change",
    ),
    path("<int:pk>/rerun/", views.submission_rerun_view, name="submission-rerun"),
    path("<int:pk>/disqualify/", views.submission_disqualify_view, name="submission-disqualify"),
]

from django.urls import path

from .views import picks, submissions

urlpatterns = [
    path("", submissions.submission_list, name="submission-list"),
    path("new/", submissions.submission_new, name="submission-new"),
    path("<int:pk>/", submissions.submission_detail, name="submission-detail"),
    path("<int:pk>/cancel/", submissions.submission_cancel_view, name="submission-cancel"),
    path("picks/<slug:team_slug>/", picks.team_picks, name="team-picks"),
    path(
        "picks/phase/<int:phase_id>/<int:submission_id>/",
        picks.pick_change,
        name="pick-change",
    ),
    path("<int:pk>/rerun/", submissions.submission_rerun_view, name="submission-rerun"),
    path(
        "<int:pk>/disqualify/", submissions.submission_disqualify_view, name="submission-disqualify"
    ),
]

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .views import catalog, docs, picks, status, submissions, uploads

TRACK = "tracks/<slug:benchmark>/<slug:track>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs.api_docs, name="api-docs"),
    path("v1/me/", catalog.MeView.as_view(), name="api-me"),
    path("v1/status/", status.PlatformStatusView.as_view(), name="api-status"),
    path("v1/benchmarks/", catalog.BenchmarkListView.as_view(), name="api-benchmarks"),
    path(
        "v1/benchmarks/<slug:benchmark>/",
        catalog.BenchmarkDetailView.as_view(),
        name="api-benchmark",
    ),
    path(f"v1/{TRACK}", catalog.TrackDetailView.as_view(), name="api-track"),
    path(f"v1/{TRACK}leaderboard/", catalog.LeaderboardView.as_view(), name="api-leaderboard"),
    path(
        f"v1/{TRACK}leaderboard/export/",
        catalog.LeaderboardExportView.as_view(),
        name="api-leaderboard-export",
    ),
    path(
        f"v1/{TRACK}splits/<slug:split>/archive/",
        catalog.SplitArchiveView.as_view(),
        name="api-split-archive",
    ),
    path("v1/picks/", picks.FinalPickListView.as_view(), name="api-picks"),
    path("v1/picks/<int:pick_id>/", picks.FinalPickDetailView.as_view(), name="api-pick"),
    path("v1/uploads/", uploads.UploadListView.as_view(), name="api-uploads"),
    path("v1/uploads/<uuid:upload_id>/", uploads.UploadDetailView.as_view(), name="api-upload"),
    path("v1/submissions/", submissions.SubmissionListView.as_view(), name="api-submissions"),
    path(
        "v1/submissions/export/",
        submissions.SubmissionExportView.as_view(),
        name="api-submissions-export",
    ),
    path(
        "v1/submissions/<int:submission_id>/",
        submissions.SubmissionDetailView.as_view(),
        name="api-submission",
    ),
    path(
        "v1/submissions/<int:submission_id>/results/",
        submissions.SubmissionResultsView.as_view(),
        name="api-submission-results",
    ),
    path(
        "v1/submissions/<int:submission_id>/logs/",
        submissions.SubmissionLogsView.as_view(),
        name="api-submission-logs",
    ),
]

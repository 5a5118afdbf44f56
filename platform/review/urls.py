"""The reviewer pages, under /audit/ beside the log (audit.urls): the same paths and names
as before the review app was split from the audit log."""

from django.urls import path

from . import views

urlpatterns = [
    path("results/<int:pk>/", views.result_audit_page, name="audit-result"),
    path("results/<int:pk>/rescore/", views.result_rescore_view, name="audit-result-rescore"),
    path("results/<int:pk>/status/", views.result_status_view, name="audit-result-status"),
    path("results/<int:pk>/comment/", views.result_comment_view, name="audit-result-comment"),
    path("results/<int:pk>/object/", views.result_object_view, name="audit-result-object"),
    path("results/<int:pk>/audit-tests/", views.result_audit_tests_view, name="audit-result-tests"),
    path(
        "results/<int:pk>/predictions.tar.gz",
        views.result_predictions_download,
        name="audit-result-predictions",
    ),
    path("results/<int:pk>/bundle.zip", views.result_bundle_download, name="audit-result-bundle"),
    path("splits/<int:pk>/bundle.zip", views.split_bundle_download, name="audit-split-bundle"),
    path("splits/<int:pk>/moves/", views.split_moves_view, name="audit-split-moves"),
    path(
        "objections/<int:pk>/resolve/", views.objection_resolve_view, name="audit-objection-resolve"
    ),
]

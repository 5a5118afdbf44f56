from django.urls import path

from . import views

urlpatterns = [
    path("", views.submission_list, name="submission-list"),
    path("new/", views.submission_new, name="submission-new"),
    path("<int:pk>/", views.submission_detail, name="submission-detail"),
    path("<int:pk>/cancel/", views.submission_cancel_view, name="submission-cancel"),
]

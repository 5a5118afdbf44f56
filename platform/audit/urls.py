from django.urls import path

from . import views

urlpatterns = [
    path("log/", views.audit_log, name="audit-log"),
    path("head.json", views.audit_head, name="audit-head"),
]

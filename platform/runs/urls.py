from django.urls import path

from . import views

app_name = "agent_api"

urlpatterns = [
    path("presence", views.presence, name="presence"),
    path("jobs/<int:job_id>/claim", views.claim, name="claim"),
    path("jobs/<int:job_id>/heartbeat", views.heartbeat, name="heartbeat"),
    path("jobs/<int:job_id>/inputs/<str:sha256>", views.inputs, name="inputs"),
    path("jobs/<int:job_id>/image", views.image, name="image"),
    path("jobs/<int:job_id>/output", views.output, name="output"),
    path("jobs/<int:job_id>/outcome", views.outcome, name="outcome"),
]

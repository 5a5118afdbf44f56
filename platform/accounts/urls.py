from django.urls import path

from . import views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("teams/new/", views.team_new, name="team-new"),
    path("teams/<slug:slug>/", views.team_detail, name="team-detail"),
]

from django.urls import path

from . import team_views, views

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("teams/new/", views.team_new, name="team-new"),
    path("teams/<slug:slug>/", views.team_detail, name="team-detail"),
    path("teams/<slug:slug>/invite/", team_views.team_invite, name="team-invite"),
    path(
        "teams/<slug:slug>/invitations/<int:pk>/revoke/",
        team_views.team_invitation_revoke,
        name="team-invitation-revoke",
    ),
    path("teams/<slug:slug>/leave/", team_views.team_leave_view, name="team-leave"),
    path(
        "teams/<slug:slug>/members/<int:user_id>/remove/",
        team_views.team_member_remove,
        name="team-member-remove",
    ),
    path(
        "teams/<slug:slug>/members/<int:user_id>/owner/",
        team_views.team_member_make_owner,
        name="team-member-owner",
    ),
    path("invitations/<str:token>/", team_views.invitation_detail, name="invitation-detail"),
]

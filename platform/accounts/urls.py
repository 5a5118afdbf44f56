from django.urls import path

from .views import members, teams

urlpatterns = [
    path("signup/", teams.signup, name="signup"),
    path("teams/new/", teams.team_new, name="team-new"),
    path("teams/<slug:slug>/invite/", members.team_invite, name="team-invite"),
    path(
        "teams/<slug:slug>/invitations/<int:pk>/revoke/",
        members.team_invitation_revoke,
        name="team-invitation-revoke",
    ),
    path("teams/<slug:slug>/leave/", members.team_leave_view, name="team-leave"),
    path(
        "teams/<slug:slug>/members/<int:user_id>/remove/",
        members.team_member_remove,
        name="team-member-remove",
    ),
    path(
        "teams/<slug:slug>/members/<int:user_id>/owner/",
        members.team_member_make_owner,
        name="team-member-owner",
    ),
    path("invitations/<str:token>/", members.invitation_detail, name="invitation-detail"),
]

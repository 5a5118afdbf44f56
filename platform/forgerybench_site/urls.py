from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from notifications import views as notification_views
from submissions.views.submissions import queue_status
from submissions.views.teams import team_detail

urlpatterns = [
    # First: the most read pages (the leaderboards) resolve without trying every other pattern.
    path("", include("leaderboards.urls")),
    path("admin/", admin.site.urls),
    # django-axes throttles failed logins (AUTHENTICATION_BACKENDS, AxesMiddleware).
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The language switch in every page's header (English, 简体中文).
    path("i18n/setlang/", notification_views.language_switch, name="set_language"),
    path("submissions/", include("submissions.urls")),
    path("status/", queue_status, name="queue-status"),
    path("audit/", include("audit.urls")),
    path("audit/", include("review.urls")),
    path("notifications/", include("notifications.urls")),
    path("organize/", include("console.urls")),
    path("api/agent/v1/", include("runs.urls")),
    path("api/", include("api.urls")),
    path("account/", include("api.account_urls")),
    path("", include("accounts.urls")),
    # A team's page lists its submissions, so it lives in submissions; after accounts' own
    # team paths (``teams/new/`` is not a team).
    path("teams/<slug:slug>/", team_detail, name="team-detail"),
]

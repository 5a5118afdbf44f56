from django.urls import path

from .views import analytics, broadcast, definitions, home, merges, phases, reveal

urlpatterns = [
    path("phases/new/", phases.console_phase_new, name="console-phase-new"),
    path("phases/<int:phase_id>/", phases.console_phase_edit, name="console-phase-edit"),
    path("tracks/<int:track_id>/rules/", phases.console_track_rules, name="console-track-rules"),
    path("", home.console_home, name="console-home"),
    path("benchmarks/<slug:slug>/terms/", broadcast.console_terms, name="console-terms"),
    path(
        "benchmarks/<slug:slug>/broadcast/",
        broadcast.console_broadcast,
        name="console-broadcast",
    ),
    path(
        "benchmarks/<slug:slug>/analytics/",
        analytics.console_analytics,
        name="console-analytics",
    ),
    path(
        "benchmarks/<slug:slug>/analytics/<str:plot>.csv",
        analytics.console_analytics_csv,
        name="console-analytics-csv",
    ),
    path("definitions/new/", definitions.console_definition, name="console-definition-new"),
    path(
        "benchmarks/<slug:slug>/definition/",
        definitions.console_definition,
        name="console-definition-edit",
    ),
    path("reveal/", reveal.console_reveal, name="console-reveal"),
    path("phases/<int:phase_id>/reveal/", reveal.console_phase_reveal, name="console-phase-reveal"),
    path(
        "splits/<int:split_id>/publication/",
        home.console_split_publication,
        name="console-split-publication",
    ),
    path("teams/merge/", merges.console_team_merge, name="console-team-merge"),
    path("teams/<int:team_id>/baseline/", home.console_team_baseline, name="console-team-baseline"),
]

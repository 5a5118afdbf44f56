"""Role matrix of the disclosure policy: every page, API route and export, walked as each role
before and after publication, shows no hidden number the policy forbids (protocol §5).

Distinctive metric values are planted on the hidden split and every response body is searched
for them in the ways pages print numbers (full, 4 and 3 decimals). The same search finds the
public split's planted numbers, and the hidden ones once published, so it can fail.
"""

import uuid

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.services import user_create
from benchmarks.models import Phase
from benchmarks.services import split_publish_results
from notifications.selectors import submission_mail_results
from submissions.models import FinalPick, Provenance
from tests.support import finished_result

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "teammate", "owner")
HOST_PATH = "/srv/planted-host-folder"


def _planted(auc: float, acc: float, eer: float) -> dict:
    return {"auc": auc, "acc": acc, "eer": eer, "ci": {"auc": [auc - 0.0123, auc + 0.0117]}}


def _tokens(metrics: dict) -> set[str]:
    """How a page or export may print each planted number."""
    values = [metrics["auc"], metrics["acc"], metrics["eer"], *metrics["ci"]["auc"]]
    found = set()
    for value in values:
        found |= {repr(value), f"{value:.4f}", f"{value:.3f}"}
    return found


# Hidden numbers of the first submission (before the publication) and of the second (after it).
FIRST = _planted(0.83141592, 0.71828182, 0.16180339)
SECOND = _planted(0.64142135, 0.57320508, 0.22360679)
PUBLIC = _planted(0.93737373, 0.88484848, 0.05959595)

SETTINGS = {"task": "detection", "n_resamples": 1000, "primary": "auc"}
# Routes a team cannot reach in a way that shows results (admin, organizer console, sign-in).
NOT_WALKED_PREFIXES = ("admin/", "organize/", "login/", "logout/", "signup/")


def _routes(patterns: list, prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            out += _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            out.append((prefix + str(pattern.pattern), pattern.name or ""))
    return out


@pytest.fixture
def world(people, smoke_track):  # type: ignore[no-untyped-def]
    val = smoke_track.splits.get(name="val")
    test = smoke_track.splits.get(name="test")
    first_val = finished_result(
        track=smoke_track,
        split=val,
        team=people.team,
        method="owl-1",
        metrics=PUBLIC,
        primary_value=PUBLIC["auc"],
    )
    first = finished_result(
        track=smoke_track,
        split=test,
        team=people.team,
        method="owl-1",
        metrics=FIRST,
        primary_value=FIRST["auc"],
    )
    Provenance.objects.filter(result__in=[first, first_val]).update(metric_settings=SETTINGS)
    Provenance.objects.filter(result=first).update(
        runtime_flags={
            "volumes": {
                f"{HOST_PATH}/inputs": {"bind": "/input", "mode": "ro"},
                f"{HOST_PATH}/outputs": {"bind": "/output", "mode": "rw"},
            }
        }
    )
    phase = Phase.objects.get(benchmark=smoke_track.benchmark, slug="open")
    pick = FinalPick.objects.create(
        phase=phase, team=people.team, submission=first.submission, picked_by=people.owner
    )
    reviewer = user_create(username="reviewer", password="pw-reviewer-123")
    reviewer.groups.add(Group.objects.get_or_create(name="reviewers")[0])
    clients = {"anonymous": Client()}
    for role, user in {
        "outsider": people.outsider,
        "teammate": people.teammate,
        "owner": people.owner,
        "reviewer": reviewer,
        "organizer": people.organizer,
    }.items():
        clients[role] = Client()
        clients[role].force_login(user)
    ids = {
        "pk": first.submission_id,
        "result": first.pk,
        "val_result": first_val.pk,
        "split": test.pk,
        "phase": phase.pk,
        "pick": pick.pk,
    }
    return {"clients": clients, "ids": ids, "track": smoke_track, "test": test, "people": people}


def _urls(world: dict, submission_id: int, result_id: int) -> list[str]:
    """Every GET-able route a team reaches, filled in; a new route without an entry fails."""
    ids = world["ids"]
    bench, track = "smoke-detect", "image"
    team = world["people"].team.slug
    api = f"/api/v1/tracks/{bench}/{track}/"
    fill: dict[str, list[str]] = {
        "submission-list": ["/submissions/"],
        "submission-new": ["/submissions/new/"],
        "submission-detail": [f"/submissions/{submission_id}/"],
        "submission-cancel": [f"/submissions/{submission_id}/cancel/"],
        "submission-rerun": [f"/submissions/{submission_id}/rerun/"],
        "submission-disqualify": [f"/submissions/{submission_id}/disqualify/"],
        "team-picks": [f"/submissions/picks/{world['people'].team.slug}/"],
        "pick-change": [f"/submissions/picks/phase/{ids['phase']}/{submission_id}/"],
        "audit-log": ["/audit/log/"],
        "audit-head": ["/audit/head.json"],
        "audit-result": [f"/audit/results/{result_id}/", f"/audit/results/{ids['val_result']}/"],
        "audit-result-rescore": [f"/audit/results/{result_id}/rescore/"],
        "audit-result-status": [f"/audit/results/{result_id}/status/"],
        "audit-result-comment": [f"/audit/results/{result_id}/comment/"],
        "audit-result-object": [f"/audit/results/{result_id}/object/"],
        "audit-result-tests": [f"/audit/results/{result_id}/audit-tests/"],
        "audit-result-predictions": [f"/audit/results/{result_id}/predictions.tar.gz"],
        "audit-result-bundle": [f"/audit/results/{result_id}/bundle.zip"],
        "audit-split-bundle": [f"/audit/splits/{ids['split']}/bundle.zip"],
        "audit-split-moves": [f"/audit/splits/{ids['split']}/moves/"],
        "audit-objection-resolve": ["/audit/objections/1/resolve/"],
        "api-schema": [],  # the schema holds no data
        "api-docs": ["/api/docs/"],
        "api-me": ["/api/v1/me/"],
        "api-benchmarks": ["/api/v1/benchmarks/"],
        "api-benchmark": [f"/api/v1/benchmarks/{bench}/"],
        "api-track": [api],
        "api-leaderboard": [f"{api}leaderboard/", f"{api}leaderboard/?split=test"],
        "api-leaderboard-export": [
            f"{api}leaderboard/export/?format=csv",
            f"{api}leaderboard/export/?format=json",
            f"{api}leaderboard/export/?format=csv&split=test",
        ],
        "api-split-archive": [f"{api}splits/val/archive/", f"{api}splits/test/archive/"],
        "api-picks": [f"/api/v1/picks/?phase={bench}/open", "/api/v1/picks/"],
        "api-pick": [f"/api/v1/picks/{ids['pick']}/"],
        "api-uploads": ["/api/v1/uploads/"],
        "api-upload": [f"/api/v1/uploads/{uuid.uuid4()}/"],
        "api-status": ["/api/v1/status/"],
        "api-submissions": ["/api/v1/submissions/"],
        "api-submissions-export": [
            "/api/v1/submissions/export/?format=csv",
            "/api/v1/submissions/export/?format=json",
        ],
        "api-submission": [f"/api/v1/submissions/{submission_id}/"],
        "api-submission-results": [f"/api/v1/submissions/{submission_id}/results/"],
        "api-submission-logs": [f"/api/v1/submissions/{submission_id}/logs/"],
        "account-tokens": ["/account/tokens/"],
        "notification-list": ["/notifications/"],
        "notification-read": ["/notifications/read/"],
        "notification-open": ["/notifications/1/open/"],
        "notification-preferences": ["/notifications/settings/"],
        "notification-unsubscribe": ["/notifications/unsubscribe/x/"],
        "set_language": ["/i18n/setlang/"],
        "team-new": ["/teams/new/"],
        "team-detail": [f"/teams/{team}/"],
        "team-invite": [f"/teams/{team}/invite/"],
        "team-invitation-revoke": [f"/teams/{team}/invitations/1/revoke/"],
        "team-leave": [f"/teams/{team}/leave/"],
        "team-member-remove": [f"/teams/{team}/members/1/remove/"],
        "team-member-owner": [f"/teams/{team}/members/1/owner/"],
        "invitation-detail": ["/invitations/not-a-token/"],
        "home": ["/"],
        "queue-status": ["/status/"],
        "generalization": ["/generalization/"],
        "benchmark-detail": [f"/b/{bench}/"],
        "benchmark-terms": [f"/b/{bench}/terms/"],
        "track-leaderboard": [f"/b/{bench}/{track}/"],
        # The agent API answers an agent credential only; walked as every role all the same.
        **{
            name: [f"/api/agent/v1/jobs/{submission_id}/{name}"]
            for name in ("claim", "heartbeat", "image", "output", "outcome")
        },
        "inputs": [f"/api/agent/v1/jobs/{submission_id}/inputs/{'0' * 64}"],
        "presence": ["/api/agent/v1/presence"],
        "leaderboard-export": [
            f"/b/{bench}/{track}/{s}.{f}" for s in ("val", "test") for f in ("csv", "json")
        ],
    }
    urls = []
    for route, name in _routes(get_resolver().url_patterns):
        if route.startswith(NOT_WALKED_PREFIXES):
            continue
        assert name in fill, f"route {route} ({name}) is not in the disclosure matrix: add it"
        urls += fill[name]
    return urls


def _body(response) -> str:  # type: ignore[no-untyped-def]
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _leaks(world: dict, urls: list[str], tokens: set[str], roles=ROLES) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    found: dict[str, set[str]] = {}
    for role in roles:
        for url in urls:
            body = _body(world["clients"][role].get(url))
            hits = {token for token in tokens if token in body}
            if hits:
                found[f"{role} {url}"] = hits
    return found


def test_no_hidden_number_reaches_a_team_before_publication_and_later_ones_wait(world) -> None:
    ids = world["ids"]
    urls = _urls(world, ids["pk"], ids["result"])
    # The search works: the public split's numbers are found, on the track page and export.
    public = _leaks(world, urls, _tokens(PUBLIC), roles=("anonymous",))
    assert any("/b/smoke-detect/image/" in where for where in public), public
    assert any("val.csv" in where for where in public), public
    # Before any publication: no hidden number anywhere, for any role but the organizers.
    assert _leaks(world, urls, _tokens(FIRST)) == {}
    # Organizers see it (the search would have found it).
    assert _leaks(world, urls, _tokens(FIRST), roles=("organizer",))

    # Publication is an event: submissions made up to it are disclosed...
    split_publish_results(split=world["test"], published=True, actor="organizer", reason="end")
    shown = _leaks(world, urls, _tokens(FIRST))
    assert any(where.startswith("anonymous /b/smoke-detect/image/") for where in shown), shown
    assert any("test.csv" in where for where in shown), shown
    assert any(where.startswith("owner /audit/results/") for where in shown), shown

    # ... and one made after it stays hidden until the next publication.
    world["test"].refresh_from_db()
    second = finished_result(
        track=world["track"],
        split=world["test"],
        team=world["people"].team,
        method="owl-2",
        metrics=SECOND,
        primary_value=SECOND["auc"],
    )
    Provenance.objects.filter(result=second).update(metric_settings=SETTINGS)
    assert second.submission.created_at > world["test"].published_through
    # Mails about it carry no hidden number either.
    mailed = {
        r.split: r.primary_value for r in submission_mail_results(submission=second.submission)
    }
    assert mailed == {"test": None}
    later = _urls(world, second.submission_id, second.pk)
    assert _leaks(world, later, _tokens(SECOND)) == {}
    split_publish_results(split=world["test"], published=True, actor="organizer", reason="next")
    assert _leaks(world, later, _tokens(SECOND), roles=("owner",))


def test_the_audit_page_never_shows_the_teams_the_host_data_folder(world) -> None:
    url = f"/audit/results/{world['ids']['result']}/"
    for role in ("teammate", "owner"):
        body = _body(world["clients"][role].get(url))
        assert "Withheld" in body and HOST_PATH not in body, role
        assert "/input (ro)" in body, role
    split_publish_results(split=world["test"], published=True, actor="organizer", reason="end")
    body = _body(world["clients"]["owner"].get(url))
    assert f"{FIRST['auc']:.4f}" in body and HOST_PATH not in body
    assert HOST_PATH in _body(world["clients"]["reviewer"].get(url))

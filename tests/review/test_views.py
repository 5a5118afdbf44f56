"""Reviewer pages and who may do what: owner, teammate, outsider, reviewer, organizer."""

from pathlib import Path

import pytest
from django.test import Client

from accounts.roles import user_is_reviewer
from accounts.services import team_create
from audit.models import AuditAction, AuditEntry
from audit.services import audit_verify_chain
from benchmarks.services import split_publish_results
from review.models import Objection
from submissions.models import ResultReview, VerificationStatus
from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def scored(score, baseline_image):  # type: ignore[no-untyped-def]
    return results_of(score(baseline_image("highfreq")))


def test_who_sees_the_audit_page_and_who_downloads_predictions(scored, people, reviewer) -> None:
    val, test = scored.val, scored.test
    page = "/audit/results/{}/"
    download = "/audit/results/{}/predictions.tar.gz"
    assert user_is_reviewer(reviewer) and user_is_reviewer(people.organizer)
    assert not user_is_reviewer(people.owner)
    # The team: its own page on every split; predictions of public splits only.
    for user in (people.owner, people.teammate):
        client = _client(user)
        assert client.get(page.format(test.pk)).status_code == 200
        response = client.get(download.format(val.pk))
        assert response.status_code == 200 and response["Content-Type"] == "application/gzip"
        assert client.get(download.format(test.pk)).status_code == 403
        assert client.get(f"/audit/results/{val.pk}/bundle.zip").status_code == 403
        assert client.get("/audit/log/").status_code == 403
    # An outsider: public results only, never a download; hidden ones once published.
    outsider = _client(people.outsider)
    assert outsider.get(page.format(val.pk)).status_code == 200
    assert outsider.get(page.format(test.pk)).status_code == 404
    assert outsider.get(download.format(val.pk)).status_code == 403
    split_publish_results(split=test.split, published=True, actor="organizer")
    assert outsider.get(page.format(test.pk)).status_code == 200
    assert outsider.get(download.format(test.pk)).status_code == 403
    assert Client().get(page.format(val.pk)).status_code == 302  # sign in first
    # Reviewers and organizers: everything.
    for user in (reviewer, people.organizer):
        client = _client(user)
        assert client.get(download.format(test.pk)).status_code == 200
        body = client.get(page.format(test.pk)).content.decode()
        assert 'id="rescore"' in body and "python -m evaluator score --task detection" in body
        assert test.provenance.labels_sha256 in body


def test_hidden_labels_never_reach_a_download(scored, reviewer) -> None:
    import io
    import tarfile

    test = scored.test
    labels = Path(test.split.labels_path).read_bytes()
    data = b"".join(
        _client(reviewer).get(f"/audit/results/{test.pk}/predictions.tar.gz").streaming_content  # type: ignore[attr-defined]
    )
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        assert tar.getnames() == ["predictions.jsonl"]
        content = tar.extractfile("predictions.jsonl").read()  # type: ignore[union-attr]
    assert b'"label"' not in content and labels not in data


def test_rescore_button_stores_and_shows_the_comparison(scored, people, reviewer) -> None:
    url = f"/audit/results/{scored.val.pk}/rescore/"
    assert _client(people.owner).post(url).status_code == 403
    client = _client(reviewer)
    response = client.post(url, follow=True)
    body = response.content.decode()
    assert "every number is identical" in body and 'id="rescores"' in body and "identical" in body
    entry = AuditEntry.objects.filter(action=AuditAction.RESCORED).get()
    assert entry.actor == "reviewer" and entry.payload["matches"] is True


def test_verification_flag_thread_objection_and_resolution(scored, people, reviewer) -> None:
    val = scored.val
    owner, rev = _client(people.owner), _client(reviewer)
    status_url = f"/audit/results/{val.pk}/status/"
    assert owner.post(status_url, {"status": "verified"}).status_code == 403
    # Flagging needs a reason.
    body = rev.post(status_url, {"status": "flagged"}, follow=True).content.decode()
    assert "needs a reason" in body
    rev.post(status_url, {"status": "flagged", "reason": "scores look cached"})
    assert ResultReview.objects.get(result=val).status == VerificationStatus.FLAGGED
    # The team answers in the thread; an outsider without an objection cannot.
    owner.post(f"/audit/results/{val.pk}/comment/", {"body": "We do not cache; see our card."})
    assert (
        _client(people.outsider)
        .post(f"/audit/results/{val.pk}/comment/", {"body": "hi"})
        .status_code
        == 403
    )
    page = rev.get(f"/audit/results/{val.pk}/").content.decode()
    assert "scores look cached" in page and "We do not cache" in page
    rev.post(status_url, {"status": "verified"})
    assert ResultReview.objects.get(result=val).status == VerificationStatus.VERIFIED

    # Another team objects, citing a rule; a reviewer upholds it and the result is removed.
    rivals = team_create(name="Rivals", owner=people.outsider)
    outsider = _client(people.outsider)
    assert (
        outsider.post(
            f"/audit/results/{val.pk}/object/",
            {"team": people.team.pk, "rule": "x", "evidence": "y"},
        ).status_code
        == 403
    ), "only on behalf of one's own team"
    outsider.post(
        f"/audit/results/{val.pk}/object/",
        {
            "team": rivals.pk,
            "rule": "§5 no model selection on hidden splits",
            "evidence": "same image twice",
        },
    )
    objection = Objection.objects.get()
    assert objection.status == Objection.Status.OPEN and objection.team == rivals
    assert (
        outsider.post(f"/audit/results/{val.pk}/comment/", {"body": "details"}).status_code == 302
    )
    assert (
        owner.post(
            f"/audit/objections/{objection.pk}/resolve/", {"decision": "reject", "resolution": "no"}
        ).status_code
        == 404  # not a reviewer: told nothing, not even that the objection exists
    )
    rev.post(
        f"/audit/objections/{objection.pk}/resolve/",
        {"decision": "remove", "resolution": "confirmed"},
    )
    objection.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD and objection.resolved_by == "reviewer"
    assert ResultReview.objects.get(result=val).status == VerificationStatus.REMOVED
    actions = list(
        AuditEntry.objects.filter(target_type="result", target_id=str(val.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions == [
        AuditAction.RESULT_WRITTEN,
        AuditAction.FLAGGED,
        AuditAction.COMMENT,
        AuditAction.VERIFIED,
        AuditAction.OBJECTION_RAISED,
        AuditAction.COMMENT,
        AuditAction.OBJECTION_UPHELD,
        AuditAction.DISQUALIFIED,
    ]
    assert audit_verify_chain() is None


def test_log_browser_filters(scored, reviewer) -> None:
    client = _client(reviewer)
    everything = client.get("/audit/log/").content.decode()
    assert everything.count('class="entry"') == AuditEntry.objects.count()
    filtered = client.get("/audit/log/", {"action": "result_written"}).content.decode()
    assert filtered.count('class="entry"') == 3  # debug, val, test
    one = client.get(
        "/audit/log/", {"target_type": "result", "target_id": scored.val.pk}
    ).content.decode()
    assert one.count('class="entry"') == 1 and f"result {scored.val.pk}" in one
    assert (
        client.get("/audit/log/", {"actor": "nobody"}).content.decode().count('class="entry"') == 0
    )


def test_what_would_move_page_with_the_installed_evaluator(scored, reviewer) -> None:
    body = _client(reviewer).get(f"/audit/splits/{scored.val.split.pk}/moves/").content.decode()
    assert '<strong id="moved-count">0</strong> of 1' in body


def test_the_resolve_route_answers_a_non_reviewer_alike_for_any_number(people, smoke_track) -> None:
    """Which objections exist, and on which result, is not told to anyone but reviewers."""
    from django.test import Client

    from review.models import Objection
    from tests.support import finished_result

    result = finished_result(
        track=smoke_track,
        split=smoke_track.splits.get(name="val"),
        team=people.team,
        method="m",
        metrics={"auc": 0.7},
        primary_value=0.7,
    )
    objection = Objection.objects.create(
        result=result, team=people.team, raised_by="owner", rule="r", evidence="e"
    )
    client = Client()
    client.force_login(people.outsider)
    known = client.post(f"/audit/objections/{objection.pk}/resolve/", {})
    unknown = client.post(f"/audit/objections/{objection.pk + 1000}/resolve/", {})
    assert known.status_code == unknown.status_code == 404

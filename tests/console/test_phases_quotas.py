"""The organizer console edits phases, quotas and entry rules; each edit is audited, and a
reload of the definition files sets file-declared fields back (reported as drift first)."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from audit.models import AuditAction, AuditEntry
from audit.services import audit_verify_chain
from benchmarks.models import Phase, Track
from benchmarks.smoke_install import smoke_detect_install
from console.selectors import definition_drift
from console.services import (
    ConsoleEditRefused,
    PhaseValues,
    phase_update,
    track_rules_update,
)
from submissions.services import SubmissionRejected, _check_quota

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def organizer_client(people) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(people.organizer)
    return client


def _changes(target_type: str, target_id: int) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            action=AuditAction.DEFINITION_CHANGED, target_type=target_type, target_id=str(target_id)
        ).order_by("seq")
    )


def test_create_a_phase_from_the_console(organizer_client, smoke_track) -> None:
    benchmark = smoke_track.benchmark
    response = organizer_client.post(
        "/organize/phases/new/",
        {
            "benchmark": benchmark.pk,
            "slug": "final",
            "name": "Final",
            "starts_at": "2026-12-01T00:00",
            "ends_at": "2027-01-31T23:59",
            "final_picks": "3",
            "reason": "the final phase opens in December",
        },
    )
    assert response.status_code == 302, response.content.decode()
    phase = Phase.objects.get(benchmark=benchmark, slug="final")
    assert (phase.starts_at, phase.ends_at, phase.final_picks) == (
        dt.datetime(2026, 12, 1, tzinfo=UTC),
        dt.datetime(2027, 1, 31, 23, 59, tzinfo=UTC),
        3,
    )
    [entry] = _changes("phase", phase.pk)
    assert (entry.actor, entry.reason) == ("organizer", "the final phase opens in December")
    assert entry.payload["change"] == "created" and entry.payload["fields"]["final_picks"] == 3
    # The same slug again is a named form error, not a crash.
    again = organizer_client.post(
        "/organize/phases/new/",
        {
            "benchmark": benchmark.pk,
            "slug": "final",
            "name": "Final",
            "starts_at": "2026-12-01T00:00",
            "final_picks": "2",
            "reason": "twice",
        },
    )
    assert again.status_code == 400 and "already has a phase" in again.content.decode()


def test_a_phase_that_ends_before_it_starts_is_a_form_error(organizer_client, smoke_track) -> None:
    phase = smoke_track.benchmark.phases.get(slug="open")
    entries = AuditEntry.objects.count()
    response = organizer_client.post(
        f"/organize/phases/{phase.pk}/",
        {
            "name": phase.name,
            "starts_at": "2026-06-01T00:00",
            "ends_at": "2026-05-01T00:00",
            "final_picks": "2",
            "reason": "typo",
        },
    )
    assert response.status_code == 400
    assert "The phase must end after it starts." in response.content.decode()
    # Past the form, the service names the same error; past both, the database refuses.
    with pytest.raises(ConsoleEditRefused, match="must end after it starts") as refused:
        phase_update(
            phase=phase,
            values=PhaseValues(
                phase.name,
                dt.datetime(2026, 6, 1, tzinfo=UTC),
                dt.datetime(2026, 6, 1, tzinfo=UTC),
                2,
            ),
            user=None,  # type: ignore[arg-type]
            reason="x",
        )
    assert refused.value.field == "ends_at"
    with pytest.raises(IntegrityError, match="phase_ends_after_start"), transaction.atomic():
        Phase.objects.filter(pk=phase.pk).update(ends_at=phase.starts_at)
    assert AuditEntry.objects.count() == entries
    phase.refresh_from_db()
    assert phase.ends_at is None


def test_editing_a_phase_logs_before_and_after(organizer_client, smoke_track) -> None:
    phase = smoke_track.benchmark.phases.get(slug="open")
    response = organizer_client.post(
        f"/organize/phases/{phase.pk}/",
        {
            "name": phase.name,
            "starts_at": phase.starts_at.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": "2026-12-31T12:00",
            "final_picks": "4",
            "one_team_per_person": "on",
            "reason": "extended by two weeks",
        },
    )
    assert response.status_code == 302, response.content.decode()
    entry = _changes("phase", phase.pk)[-1]
    assert (entry.actor, entry.reason) == ("organizer", "extended by two weeks")
    assert entry.payload["before"] == {"ends_at": None, "final_picks": 2}
    assert entry.payload["after"] == {"ends_at": "2026-12-31T12:00:00Z", "final_picks": 4}
    # Nothing changed: refused, and nothing logged.
    count = AuditEntry.objects.count()
    same = organizer_client.post(
        f"/organize/phases/{phase.pk}/",
        {
            "name": phase.name,
            "starts_at": phase.starts_at.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": "2026-12-31T12:00",
            "final_picks": "4",
            "one_team_per_person": "on",
            "reason": "again",
        },
    )
    assert same.status_code == 400 and "nothing changed" in same.content.decode()
    assert AuditEntry.objects.count() == count
    assert audit_verify_chain() is None


def test_quotas_and_entry_rule_are_edited_and_enforced(
    organizer_client, people, smoke_track
) -> None:
    response = organizer_client.post(
        f"/organize/tracks/{smoke_track.pk}/rules/",
        {
            "daily_submission_limit": "0",
            "total_submission_limit": "",
            "entry_rule": "last",
            "reason": "the test phase is closed to new runs",
        },
    )
    assert response.status_code == 302, response.content.decode()
    smoke_track.refresh_from_db()
    assert smoke_track.daily_submission_limit == 0 and smoke_track.total_submission_limit is None
    assert smoke_track.entry_rule == Track.EntryRule.LAST
    entry = _changes("track", smoke_track.pk)[-1]
    assert entry.actor == "organizer" and entry.reason == "the test phase is closed to new runs"
    assert entry.payload["before"] == {"daily_submission_limit": None, "entry_rule": "best"}
    assert entry.payload["after"] == {"daily_submission_limit": 0, "entry_rule": "last"}
    with pytest.raises(SubmissionRejected, match="daily quota reached"):
        _check_quota(team=people.team, track=smoke_track)
    # Bad values are named on their field.
    bad = organizer_client.post(
        f"/organize/tracks/{smoke_track.pk}/rules/",
        {
            "daily_submission_limit": "5",
            "total_submission_limit": "3",
            "entry_rule": "best",
            "reason": "oops",
        },
    )
    assert bad.status_code == 400
    assert "the daily quota is larger than the total quota" in bad.content.decode()
    no_reason = organizer_client.post(
        f"/organize/tracks/{smoke_track.pk}/rules/",
        {"daily_submission_limit": "5", "entry_rule": "best", "reason": ""},
    )
    assert no_reason.status_code == 400
    smoke_track.refresh_from_db()
    assert smoke_track.daily_submission_limit == 0


def test_a_reload_sets_file_fields_back_and_keeps_quotas(people, smoke_track) -> None:
    """YAML wins for what the file declares; the console lists that drift before a reload."""
    phase = smoke_track.benchmark.phases.get(slug="open")
    assert definition_drift().drifts == []
    phase_update(
        phase=phase,
        values=PhaseValues(phase.name, phase.starts_at, dt.datetime(2027, 1, 1, tzinfo=UTC), 5),
        user=people.organizer,
        reason="longer phase",
    )
    track_rules_update(
        track=smoke_track,
        daily_submission_limit=3,
        total_submission_limit=30,
        entry_rule="last",
        user=people.organizer,
        reason="quotas for the final weeks",
    )
    drift = {(d.where, d.field): (d.stored, d.in_file) for d in definition_drift().drifts}
    assert drift[("smoke-detect/phase open", "final_picks")] == (5, 2)
    assert drift[("smoke-detect/phase open", "ends_at")][1] is None
    # Quotas are not in the files: no drift, and a reload leaves them alone.
    assert not any(field.endswith("submission_limit") for _, field in drift)
    page = Client()
    page.force_login(people.organizer)
    html = page.get("/organize/").content.decode()
    assert 'id="drift"' in html and "final_picks" in html
    seq = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    smoke_detect_install(scale=0.1)  # what load_benchmarks does
    phase.refresh_from_db()
    smoke_track.refresh_from_db()
    assert (phase.ends_at, phase.final_picks) == (None, 2)
    assert (smoke_track.daily_submission_limit, smoke_track.total_submission_limit) == (3, 30)
    # The reload's own change to the phase is in the log, by the system, before and after.
    reset = AuditEntry.objects.filter(
        seq__gt=seq, action=AuditAction.DEFINITION_CHANGED, target_type="phase"
    ).get(target_id=str(phase.pk))
    assert reset.actor == "system"
    assert (
        reset.payload["before"]["final_picks"] == 5 and reset.payload["after"]["final_picks"] == 2
    )
    remaining = {(d.where, d.field) for d in definition_drift().drifts}
    assert not any(where == "smoke-detect/phase open" for where, _ in remaining)
    assert audit_verify_chain() is None


def test_a_console_phase_survives_a_reload(people, smoke_track) -> None:
    from console.services import phase_create

    phase_create(
        benchmark=smoke_track.benchmark,
        slug="extra",
        values=PhaseValues("Extra", dt.datetime(2027, 2, 1, tzinfo=UTC), None, 1),
        user=people.organizer,
        reason="an extra round",
    )
    assert definition_drift().console_only_phases == ["smoke-detect/phase extra"]
    smoke_detect_install(scale=0.1)
    assert Phase.objects.filter(benchmark=smoke_track.benchmark, slug="extra").exists()

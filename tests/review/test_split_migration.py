"""The split of the audit app keeps every row: migrate back to before it, write audit, provenance
and review rows the old way, migrate forward, and find them all, with the chain still intact."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from audit.chain import sha256_json
from audit.models import AuditAction, AuditEntry
from audit.services import audit_append, audit_verify_chain
from review.models import AuditTestReport, Comment, Objection, RescoreReport, TrackAuditPolicy
from submissions.models import Provenance, Result, ResultReview, Status, Submission

BEFORE = [
    ("audit", "0009_definition_applied_action"),
    ("submissions", "0006_result_disclosure_parts"),
    ("review", None),
]
MOVED_TABLES = {
    "provenance": "submissions",
    "resultreview": "submissions",
    "audittestreport": "review",
    "comment": "review",
    "objection": "review",
    "rescorereport": "review",
    "trackauditpolicy": "review",
}


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():  # type: ignore[no-untyped-def]
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _old_rows(old_apps, result, people, track) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """One row of each moved model, written through the pre-split models (app label audit)."""
    now = timezone.now()

    def model(name):  # type: ignore[no-untyped-def]
        return old_apps.get_model("audit", name)

    provenance = model("Provenance").objects.create(
        result_id=result.pk,
        image_id="sha256:" + "a" * 64,
        method_name="old method",
        training_data="other: old",
        split_id=result.split_id,
        manifest_sha256="1" * 64,
        labels_sha256="2" * 64,
        sample_count=40,
        protocol_version=1,
        evaluator_version="old",
        bootstrap_seed=7,
        worker_host="old-host",
        predictions_path="-",
        predictions_sha256="3" * 64,
        predictions_size=0,
        metrics_sha256=sha256_json(result.metrics),
        complete=True,
        created_at=now,
    )
    review = model("ResultReview").objects.create(
        result_id=result.pk, status="flagged", reason="looks odd", changed_by="reviewer"
    )
    objection = model("Objection").objects.create(
        result_id=result.pk, team_id=people.team.pk, raised_by="outsider", rule="§5", evidence="e"
    )
    comment = model("Comment").objects.create(
        result_id=result.pk, author_id=people.organizer.pk, body="before the split"
    )
    rescore = model("RescoreReport").objects.create(
        result_id=result.pk,
        at=now,
        actor="system",
        evaluator_version="old",
        protocol_version=1,
        matches=True,
    )
    report = model("AuditTestReport").objects.create(
        result_id=result.pk,
        kind="determinism",
        outcome="passed",
        seed=1,
        tolerance=1e-6,
        summary="all equal",
        image_id="sha256:" + "a" * 64,
        actor="system",
        started_at=now,
        ended_at=now,
    )
    policy = model("TrackAuditPolicy").objects.create(track_id=track.pk, subset_size=5)
    return {
        "provenance": provenance.pk,
        "resultreview": review.pk,
        "objection": objection.pk,
        "comment": comment.pk,
        "rescorereport": rescore.pk,
        "audittestreport": report.pk,
        "trackauditpolicy": policy.pk,
    }


@pytest.mark.django_db(transaction=True)
def test_the_split_keeps_every_row_and_the_chain(people, smoke_track) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.contenttypes.models import ContentType

    content_types = {
        name: ContentType.objects.get(app_label=app, model=name).pk
        for name, app in MOVED_TABLES.items()
    }
    latest = _latest()
    try:
        old_apps = _migrate(BEFORE)
        tables = set(connection.introspection.table_names())
        assert {f"audit_{name}" for name in MOVED_TABLES} <= tables
        assert "submissions_provenance" not in tables

        split = smoke_track.splits.get(name="test")
        submission = Submission.objects.create(
            team=people.team,
            track=smoke_track,
            method_name="old method",
            training_data="other: old",
            image_id="sha256:" + "a" * 64,
            status=Status.FINISHED,
        )
        result = Result.objects.create(
            submission=submission,
            split=split,
            metrics={"auc": 0.75},
            primary_value=0.75,
            protocol_version=1,
            evaluator_version="old",
        )
        # Real chain entries, as the old code appended them (the log's table never moves).
        audit_append(
            action=AuditAction.RESULT_WRITTEN,
            target_type="result",
            target_id=result.pk,
            payload={"metrics_sha256": sha256_json(result.metrics)},
        )
        audit_append(action=AuditAction.OBJECTION_RAISED, target_type="result", target_id=result.pk)
        entries_before = list(AuditEntry.objects.order_by("seq").values())
        ids = _old_rows(old_apps, result, people, smoke_track)
    finally:
        _migrate(latest)

    tables = set(connection.introspection.table_names())
    assert not {f"audit_{name}" for name in MOVED_TABLES} & tables
    assert {f"{app}_{name}" for name, app in MOVED_TABLES.items()} <= tables

    provenance = Provenance.objects.get(pk=ids["provenance"])
    assert (provenance.result_id, provenance.worker_host, provenance.bootstrap_seed) == (
        result.pk,
        "old-host",
        7,
    )
    review = ResultReview.objects.get(pk=ids["resultreview"])
    assert (review.status, review.reason) == ("flagged", "looks odd")
    assert Objection.objects.get(pk=ids["objection"]).rule == "§5"
    assert Comment.objects.get(pk=ids["comment"]).body == "before the split"
    assert RescoreReport.objects.get(pk=ids["rescorereport"]).matches is True
    assert AuditTestReport.objects.get(pk=ids["audittestreport"]).summary == "all equal"
    assert TrackAuditPolicy.objects.get(pk=ids["trackauditpolicy"]).subset_size == 5
    # Relations resolve both ways under the new apps.
    assert result.provenance.pk == ids["provenance"] and result.review.pk == ids["resultreview"]
    # New rows continue the old tables' ids.
    assert (
        Comment.objects.create(result=result, author=people.owner, body="after").pk > ids["comment"]
    )
    # The same content types (and any permission granted through them).
    assert content_types == {
        name: ContentType.objects.get(app_label=app, model=name).pk
        for name, app in MOVED_TABLES.items()
    }

    # The log is untouched, still verifies, and still pins the Result (through the review
    # app's receiver of verify_audit_log).
    assert list(AuditEntry.objects.order_by("seq").values()) == entries_before
    assert audit_verify_chain() is None
    call_command("verify_audit_log")

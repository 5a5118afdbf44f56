"""Provenance, stored predictions and the log entry are written with every Result."""

import gzip
import json
import tarfile
from pathlib import Path

import pytest

import evaluator
from audit.chain import sha256_json
from audit.models import AuditAction, AuditEntry
from audit.services import audit_verify_chain
from benchmarks.services import split_publish_results, track_upsert
from submissions.models import Provenance, Result, ResultReview, VerificationStatus
from submissions.provenance import evaluator_commit
from submissions.selectors import result_filter_shown
from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def test_every_result_gets_complete_provenance_and_stored_predictions(
    score, baseline_image
) -> None:
    submission = score(baseline_image("highfreq"))
    results = results_of(submission)
    for result in (results.val, results.test):
        p = Provenance.objects.get(result=result)
        run = submission.runs.get(split=result.split)
        assert p.complete, p.missing
        assert p.image_id == submission.image_id and p.image_id.startswith("sha256:")
        assert p.image_digest, "the engine confirms the content-addressed image"
        assert p.image_reference == baseline_image("highfreq") or p.image_reference
        assert p.manifest_sha256 == result.split.inputs_sha256
        assert p.labels_sha256 == result.split.labels_sha256
        assert p.protocol_version == evaluator.PROTOCOL_VERSION
        assert p.evaluator_version == evaluator.__version__
        assert p.evaluator_commit == evaluator_commit() and len(p.evaluator_commit) in (0, 40)
        assert p.bootstrap_seed == result.metrics["seed"]
        assert p.metric_settings["primary"] == "auc"
        assert p.metric_settings["n_resamples"] == result.metrics["n_resamples"]
        assert p.worker_host
        assert p.runtime_flags == run.runtime_flags and p.runtime_flags["network_mode"] == "none"
        assert p.exit_code == 0 and p.container_id == run.container_id
        times = p.step_times
        assert (
            times["run_started"]
            <= times["run_ended"]
            <= times["score_started"]
            <= times["score_ended"]
        )
        assert p.gpu_model == "" and p.gpu_driver == ""  # a CPU track
        # The stored predictions are byte-identical to what the container wrote.
        archive = Path(p.predictions_path)
        assert archive.is_file() and archive.stat().st_size == p.predictions_size
        with tarfile.open(archive, "r:gz") as tar:
            stored = tar.extractfile("predictions.jsonl").read()  # type: ignore[union-attr]
        assert stored == (Path(run.artifacts_dir) / "predictions.jsonl").read_bytes()
        assert len(stored.splitlines()) == result.split.sample_count
        assert Path(p.units_path).is_file() and p.units_sha256
        assert p.metrics_sha256 == sha256_json(result.metrics)
        assert ResultReview.objects.get(result=result).status == VerificationStatus.UNVERIFIED
        entry = AuditEntry.objects.get(
            action=AuditAction.RESULT_WRITTEN, target_type="result", target_id=str(result.pk)
        )
        assert entry.payload["metrics_sha256"] == p.metrics_sha256
        assert entry.payload["predictions_sha256"] == p.predictions_sha256
        assert entry.payload["primary_value"] == result.primary_value
    assert audit_verify_chain() is None


def test_the_archive_is_reproducible_gzip(score, baseline_image) -> None:
    submission = score(baseline_image("sanity"))
    p = Provenance.objects.get(result=results_of(submission).val)
    with gzip.open(p.predictions_path) as handle:
        assert handle.read(1)  # a real gzip stream
    from submissions.storage import predictions_archive_write

    again = predictions_archive_write(
        predictions=Path(submission.runs.get(split=p.split).artifacts_dir) / "predictions.jsonl",
        destination=Path(p.predictions_path).with_name("again.tar.gz"),
    )
    assert again.sha256 == p.predictions_sha256


def test_incomplete_provenance_is_never_shown(score, baseline_image) -> None:
    submission = score(baseline_image("sanity"))
    shown = result_filter_shown(results=Result.objects.filter(submission=submission))
    assert shown.count() == 3  # debug, val, test
    Provenance.objects.filter(result__submission=submission, split__name="test").update(
        complete=False, missing=["worker_host"]
    )
    assert sorted(
        r.split.name
        for r in result_filter_shown(results=Result.objects.filter(submission=submission))
    ) == ["debug", "val"]


def test_publish_hide_and_definition_changes_are_logged(smoke_track) -> None:
    hidden = smoke_track.splits.get(visibility="hidden")
    split_publish_results(split=hidden, published=True, actor="organizer", reason="phase 1 ends")
    # A publication is an event that discloses what was submitted up to it: a second one is a
    # new event (it reaches later submissions), logged as such.
    split_publish_results(split=hidden, published=True, actor="organizer", reason="phase 2 ends")
    split_publish_results(split=hidden, published=False, actor="organizer", reason="leak found")
    split_publish_results(split=hidden, published=False, actor="organizer")  # no change, no entry
    entries = list(
        AuditEntry.objects.filter(target_type="split", target_id=str(hidden.pk)).exclude(
            action=AuditAction.DEFINITION_CHANGED
        )
    )
    assert [(e.action, e.actor, e.reason) for e in entries] == [
        (AuditAction.RESULTS_PUBLISHED, "organizer", "phase 1 ends"),
        (AuditAction.RESULTS_PUBLISHED, "organizer", "phase 2 ends"),
        (AuditAction.RESULTS_HIDDEN, "organizer", "leak found"),
    ]
    before = AuditEntry.objects.filter(action=AuditAction.DEFINITION_CHANGED).count()
    assert before >= 4  # the smoke benchmark, its track and two splits were created
    kwargs = dict(
        benchmark=smoke_track.benchmark,
        slug="image",
        name=smoke_track.name,
        task="detection",
        primary_metric="auc",
        timeout_seconds=300,
        memory_mb=1024,
        cpus=1.0,
    )
    track_upsert(**kwargs)  # an idempotent reload changes nothing
    assert AuditEntry.objects.filter(action=AuditAction.DEFINITION_CHANGED).count() == before
    track_upsert(**{**kwargs, "primary_metric": "ap"})
    change = AuditEntry.objects.filter(action=AuditAction.DEFINITION_CHANGED).last()
    assert change is not None and change.target_type == "track"
    assert (
        change.payload["change"] == "updated" and change.payload["fields"]["primary_metric"] == "ap"
    )
    assert audit_verify_chain() is None
    assert json.dumps(change.payload)  # plain JSON

"""Provenance capture: written by the score step in the same transaction as the Result.

Also stores the split's per-sample predictions (compressed) and unit table in trusted storage,
creates the Result's review row (unverified) and appends the ``result_written`` log entry that
pins the Result's metrics, provenance and predictions by their SHA-256.
"""

from __future__ import annotations

import functools
import logging
import socket
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import evaluator
from audit.chain import sha256_json, text_sha256, timestamp
from audit.models import AuditAction
from audit.services import audit_append
from benchmarks.models import Track
from runs.models import RunJob

from .artifacts import PREDICTIONS_FILE, unit_table_path
from .identity import result_follow_identity_removal
from .models import Provenance, Result, ResultReview, SplitRun
from .storage import (
    PREDICTIONS_ARCHIVE,
    UNITS_FILE,
    audit_dir_for,
    predictions_archive_write,
    units_copy,
)

logger = logging.getLogger(__name__)

# Which fields a record must hold to be complete (GPU fields only on GPU tracks).
REQUIRED_FIELDS = (
    "image_id",
    "manifest_sha256",
    "labels_sha256",
    "evaluator_version",
    "worker_host",
    "runtime_flags",
    "exit_code",
    "predictions_sha256",
    "metrics_sha256",
)
REQUIRED_STEPS = ("run_started", "run_ended", "score_started", "score_ended")


@functools.cache
def evaluator_commit() -> str:
    """The git commit of the running code when it runs from a checkout; else the setting."""
    configured = settings.FORGERYBENCH_GIT_COMMIT
    if configured:
        return str(configured)[:40]
    root = Path(evaluator.__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and len(commit) == 40 else ""


def _agent_facts(*, submission_id: int, split_id: int) -> dict[str, str] | None:
    """The host facts the run agent reported with the run's outcome, if an agent ran it."""
    job = (
        RunJob.objects.filter(
            submission_id=submission_id,
            split_id=split_id,
            kind__in=("run", "ood"),
            state="done",
            outcome="completed",
        )
        .order_by("-pk")
        .first()
    )
    if job is None or not isinstance(job.report.get("host"), dict):
        return None
    return {k: str(v)[:200] for k, v in job.report["host"].items()}


def iso_or_none(at: datetime | None) -> str | None:
    return timestamp(at) if at else None


def scored_facts(*, result: Result) -> dict[str, Any]:
    """The Provenance fields read off the scored rows as they stand: the submission's pinned
    identity, the split's hashes, the scorer and its metric settings (shared by the writer at
    scoring time and the backfill of older results)."""
    submission, split, track = result.submission, result.split, result.submission.track
    metrics = result.metrics or {}
    return {
        "image_id": submission.image_id,
        "image_reference": submission.image_reference,
        "tarball_sha256": submission.tarball_sha256,
        "tarball_size": submission.tarball_size,
        "method_name": submission.method_name,
        "training_data": submission.training_data,
        "model_card_sha256": text_sha256(submission.model_card),
        "license": submission.license,
        "split": split,
        "manifest_sha256": split.inputs_sha256,
        "labels_sha256": split.labels_sha256,
        "sample_count": split.sample_count,
        "protocol_version": result.protocol_version,
        "evaluator_version": result.evaluator_version,
        "metric_settings": {
            "task": track.task,
            "primary": metrics.get("primary", track.primary_metric),
            "n_resamples": metrics.get("n_resamples"),
            "resampling_unit": metrics.get("resampling_unit"),
            "threshold": 0.5,
        },
    }


def missing_fields(provenance: Provenance, *, gpu: bool) -> list[str]:
    missing = [name for name in REQUIRED_FIELDS if getattr(provenance, name) in ("", None, {}, [])]
    if not (provenance.tarball_sha256 or provenance.image_reference):
        missing.append("tarball_sha256 or image_reference")
    missing += [
        f"step_times.{step}" for step in REQUIRED_STEPS if not provenance.step_times.get(step)
    ]
    if gpu:
        missing += [name for name in ("gpu_model", "gpu_driver") if not getattr(provenance, name)]
    return missing


def provenance_document(provenance: Provenance) -> dict[str, Any]:
    """The record as plain JSON: what the log pins and what an audit bundle carries."""
    fields = [
        field.name
        for field in Provenance._meta.get_fields()
        if field.concrete and field.name not in ("id", "result", "split", "complete", "missing")
    ]
    document: dict[str, Any] = {name: getattr(provenance, name) for name in fields}
    document["created_at"] = timestamp(provenance.created_at)
    document["result"] = provenance.result_id
    document["split"] = provenance.split_id
    return document


def result_record_provenance(
    *, result: Result, run: SplitRun, score_started_at: datetime, actor: str = "system"
) -> Provenance:
    """Store predictions, write the Provenance and the review row, append the log entry.

    Call inside the transaction that created ``result``: all of it commits, or none.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("result_record_provenance must run inside the Result's transaction")
    submission = result.submission
    split = run.split
    track = submission.track
    store = audit_dir_for(submission_id=submission.pk, split_name=split.name)
    artifacts = Path(run.artifacts_dir)
    archive = predictions_archive_write(
        predictions=artifacts / PREDICTIONS_FILE, destination=store / PREDICTIONS_ARCHIVE
    )
    units = units_copy(
        units=unit_table_path(submission_id=submission.pk, split_name=split.name),
        destination=store / UNITS_FILE,
    )
    gpu = track.resource_class == Track.ResourceClass.GPU
    ran = _agent_facts(submission_id=submission.pk, split_id=split.pk)
    if ran is not None:
        # What the run agent that ran the container reported about its own machine.
        image_digest, engine_host = ran.get("image_digest", ""), ran.get("engine_host", "")
        gpu_model, gpu_driver = (
            (ran.get("gpu_model", ""), ran.get("gpu_driver", "")) if gpu else ("", "")
        )
        worker_host = ran.get("agent", "")
    else:
        # No agent reported on this run: the platform holds no engine to ask, so the facts
        # only an engine knows stay empty (and the record says which are missing).
        image_digest, engine_host = "", ""
        gpu_model, gpu_driver = "", ""
        worker_host = socket.gethostname()
    stored = Result.objects.values_list("metrics", flat=True).get(pk=result.pk)
    metrics = result.metrics
    provenance = Provenance(
        result=result,
        **scored_facts(result=result),
        image_digest=image_digest,
        evaluator_commit=evaluator_commit(),
        bootstrap_seed=metrics.get("seed", settings.FORGERYBENCH_BOOTSTRAP_SEED),
        worker_host=worker_host,
        engine_host=engine_host,
        gpu_model=gpu_model,
        gpu_driver=gpu_driver,
        runtime_flags=run.runtime_flags,
        container_id=run.container_id,
        exit_code=run.exit_code,
        run_outcome=run.outcome,
        step_times={
            "submitted": iso_or_none(submission.created_at),
            "queued": iso_or_none(submission.queued_at),
            "running": iso_or_none(submission.running_at),
            "run_started": iso_or_none(run.started_at),
            "run_ended": iso_or_none(run.ended_at),
            "scoring": iso_or_none(submission.scoring_at),
            "score_started": iso_or_none(score_started_at),
            "score_ended": iso_or_none(timezone.now()),
        },
        predictions_path=str(archive.path),
        predictions_sha256=archive.sha256,
        predictions_size=archive.size,
        units_path=str(units.path) if units else "",
        units_sha256=units.sha256 if units else "",
        metrics_sha256=sha256_json(stored),
        created_at=timezone.now(),
    )
    provenance.missing = missing_fields(provenance, gpu=gpu)
    provenance.complete = not provenance.missing
    provenance.save()
    provenance.refresh_from_db()
    ResultReview.objects.get_or_create(result=result)
    audit_append(
        action=AuditAction.RESULT_WRITTEN,
        target_type="result",
        target_id=result.pk,
        actor=actor,
        payload={
            "submission": submission.pk,
            "split": split.pk,
            "primary_metric": provenance.metric_settings["primary"],
            "primary_value": result.primary_value,
            "metrics_sha256": provenance.metrics_sha256,
            "provenance_sha256": sha256_json(provenance_document(provenance)),
            "predictions_sha256": archive.sha256,
            "protocol_version": result.protocol_version,
            "evaluator_version": result.evaluator_version,
            "complete": provenance.complete,
        },
    )
    result_follow_identity_removal(result=result, actor=actor)
    return provenance

"""Provenance for Results written before provenance existed, from what is still known.

The submission (image, declarations), the split's recorded hashes, the run row (flags,
container, exit code, times) and the container's predictions when its artifacts folder still
holds them. What ran on which worker, the scorer's commit and its step times were never
recorded and cannot be recovered: such a record is always written **incomplete**, with
``missing`` naming every gap, so the Result stays off every leaderboard until a rerun (or a
rescore that a reviewer follows with a verdict) replaces the doubt. Each backfill is audited.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.chain import sha256_json
from audit.models import AuditAction
from audit.services import audit_append
from benchmarks.models import Track

from .artifacts import PREDICTIONS_FILE, unit_table_path
from .models import Provenance, Result, ResultReview, SplitRun
from .provenance import iso_or_none, missing_fields, scored_facts
from .storage import (
    PREDICTIONS_ARCHIVE,
    UNITS_FILE,
    audit_dir_for,
    predictions_archive_write,
    units_copy,
)

# Never known for a backfilled record: these were only observable while it was scored.
NEVER_RECORDED = "recorded at scoring time (backfilled afterwards)"


def results_lacking_provenance(*, submission_ids: list[int] | None = None) -> QuerySet[Result]:
    results = Result.objects.filter(provenance__isnull=True).select_related(
        "submission", "submission__team", "submission__track", "split"
    )
    if submission_ids:
        results = results.filter(submission_id__in=submission_ids)
    return results.order_by("pk")


def result_backfill_provenance(*, result: Result, actor: str = "system") -> Provenance:
    """Write the incomplete record and its log entry (one transaction); refuse a second one."""
    submission, split = result.submission, result.split
    run = SplitRun.objects.filter(submission=submission, split=split).first()
    metrics = result.metrics or {}
    gaps: list[str] = []
    archive = units = None
    artifacts = Path(run.artifacts_dir) if run and run.artifacts_dir else None
    if artifacts is not None and (artifacts / PREDICTIONS_FILE).is_file():
        store = audit_dir_for(submission_id=submission.pk, split_name=split.name)
        archive = predictions_archive_write(
            predictions=artifacts / PREDICTIONS_FILE, destination=store / PREDICTIONS_ARCHIVE
        )
        # Only the platform's own table: a units.npz among the artifacts is container data.
        units = units_copy(
            units=unit_table_path(submission_id=submission.pk, split_name=split.name),
            destination=store / UNITS_FILE,
        )
    else:
        gaps.append("stored predictions (the run's artifacts are gone)")
    if run is None:
        gaps.append("the run record (flags, container, exit code)")
    provenance = Provenance(
        result=result,
        # The split's hashes as recorded now: they identify the data only if it was never
        # rebuilt since, which the record cannot prove (hence never complete).
        **scored_facts(result=result),
        bootstrap_seed=int(metrics.get("seed", 0) or 0),
        runtime_flags=run.runtime_flags if run else {},
        container_id=run.container_id if run else "",
        exit_code=run.exit_code if run else None,
        run_outcome=run.outcome if run else "",
        step_times={
            "submitted": iso_or_none(submission.created_at),
            "queued": iso_or_none(submission.queued_at),
            "running": iso_or_none(submission.running_at),
            "run_started": iso_or_none(run.started_at if run else None),
            "run_ended": iso_or_none(run.ended_at if run else None),
            "scoring": iso_or_none(submission.scoring_at),
        },
        predictions_path=str(archive.path) if archive else "",
        predictions_sha256=archive.sha256 if archive else "",
        predictions_size=archive.size if archive else 0,
        units_path=str(units.path) if units else "",
        units_sha256=units.sha256 if units else "",
        metrics_sha256=sha256_json(result.metrics),
        created_at=timezone.now(),
    )
    if "seed" not in metrics:
        gaps.append("bootstrap_seed")
    gpu = submission.track.resource_class == Track.ResourceClass.GPU
    provenance.missing = [*missing_fields(provenance, gpu=gpu), *gaps, NEVER_RECORDED]
    provenance.complete = False
    with transaction.atomic():
        if Provenance.objects.select_for_update().filter(result=result).exists():
            raise ValueError(f"result {result.pk} already has a provenance record")
        provenance.save()
        ResultReview.objects.get_or_create(result=result)
        audit_append(
            action=AuditAction.PROVENANCE_BACKFILLED,
            target_type="result",
            target_id=result.pk,
            actor=actor,
            reason="provenance written after the fact from what is still known",
            payload={
                "submission": submission.pk,
                "split": split.pk,
                "metrics_sha256": provenance.metrics_sha256,
                "predictions_sha256": provenance.predictions_sha256,
                "missing": provenance.missing,
            },
        )
    return provenance

"""Audit tests run by the platform on a scored Result (after MLPerf's compliance tests).

* determinism: rerun a random subset of the split with the same image; every per-sample score
  must match the stored one within the track's tolerance.
* no_cues: rerun that subset shuffled, under fresh ids and file names, each input twice under
  two different names; a prediction must not depend on ids, order or names.

Detection (frame tracks included) compares scores; image and video localization also compare
masks (``review.masks``: the fraction of pixels that flip at the protocol's threshold, within the
track's mask tolerance).

Each rerun is a run job (runs.services) of kind ``rerun``: a run agent runs it with the same
runner and limits as the original run; the container sees an inputs folder with the usual
task.json and manifest.jsonl, never labels. The comparison runs once the job's outcome
arrives (``audit_rerun_finish``, on the score queue).
"""

from __future__ import annotations

import json
import logging
import os
import random
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_append
from benchmarks.models import Task
from evaluator.splitformat import MANIFEST_FILE, PREDICTIONS_FILE, TASK_FILE
from evaluator.validation.errors import PredictionError
from evaluator.validation.files import jsonl_objects, open_regular
from runs.models import RunJob
from runs.services import runjob_create
from submissions.models import Provenance, Result
from submissions.storage import (
    StoredPredictionsError,
    predictions_archive_extract,
    predictions_jsonl_bytes,
    read_jsonl,
)

from .masks import compare_localization, read_localization_outputs
from .models import AuditTestReport
from .selectors import audit_policy_for

logger = logging.getLogger(__name__)

KINDS = (AuditTestReport.Kind.DETERMINISM, AuditTestReport.Kind.NO_CUES)
# Detection includes frame tracks (whole videos are drawn, renamed together); video
# localization compares each frame's mask like image localization.
SUPPORTED = (Task.DETECTION, Task.LOCALIZATION, Task.VIDEO_LOCALIZATION)
MAX_LISTED = 50


class AuditTestUnavailable(ValueError):
    """The audit test cannot run on this Result; the message says why."""


@dataclass
class RerunPlan:
    """What the rerun's container sees, and how each of its ids maps back to a stored id."""

    manifest: list[dict[str, Any]]
    files: dict[str, str]  # new relative path -> original relative path
    back: dict[str, str]  # new id -> original id
    subset: list[str] = field(default_factory=list)


def _manifest(inputs_dir: Path) -> list[dict[str, Any]]:
    with (inputs_dir / MANIFEST_FILE).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _subset(manifest: list[dict[str, Any]], size: int, rng: random.Random) -> list[dict[str, Any]]:
    if any("video" in item for item in manifest):
        # Frame tracks: draw whole videos, so per-video models see complete sequences.
        videos = sorted({item["video"] for item in manifest})
        wanted = set(rng.sample(videos, min(len(videos), max(1, size))))
        return [item for item in manifest if item["video"] in wanted]
    return rng.sample(manifest, min(len(manifest), size))


def plan_same(subset: list[dict[str, Any]]) -> RerunPlan:
    return RerunPlan(
        manifest=[dict(item) for item in subset],
        files={item["path"]: item["path"] for item in subset},
        back={item["id"]: item["id"] for item in subset},
        subset=[item["id"] for item in subset],
    )


def plan_disguised(subset: list[dict[str, Any]], rng: random.Random) -> RerunPlan:
    """Every sample twice under fresh ids and names, videos renamed, order shuffled."""

    def token() -> str:
        return f"{rng.getrandbits(48):012x}"

    manifest, files, back = [], {}, {}
    for _copy in range(2):
        videos: dict[str, str] = {}
        for item in subset:
            new_id = token()
            suffix = Path(item["path"]).suffix
            new_path = f"data/{token()}{suffix}"
            entry = {**item, "id": new_id, "path": new_path}
            if "video" in item:
                entry["video"] = videos.setdefault(item["video"], token())
            manifest.append(entry)
            files[new_path] = item["path"]
            back[new_id] = item["id"]
    rng.shuffle(manifest)
    return RerunPlan(
        manifest=manifest, files=files, back=back, subset=[item["id"] for item in subset]
    )


def _link_or_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def _materialize(plan: RerunPlan, split_inputs: Path, folder: Path) -> None:
    folder.mkdir(parents=True)
    shutil.copyfile(split_inputs / TASK_FILE, folder / TASK_FILE)
    for new, original in plan.files.items():
        source = (split_inputs / original).resolve()
        if not source.is_relative_to(split_inputs.resolve()):
            raise AuditTestUnavailable(f"manifest path {original} leaves the split's folder")
        _link_or_copy(source, folder / new)
    lines = "".join(json.dumps(item) + "\n" for item in plan.manifest)
    (folder / MANIFEST_FILE).write_text(lines, encoding="utf-8")


def _read_scores(path: Path) -> dict[str, Any]:
    """id -> score of a rerun's predictions, read through the validator (no link followed)."""
    try:
        raw = open_regular(path, error=PredictionError)
    except PredictionError:
        return {}
    scores: dict[str, Any] = {}
    with raw:
        for _, record in jsonl_objects(raw):  # binary lines: split on \n, as validated
            if isinstance(record.get("id"), str):
                scores.setdefault(record["id"], record.get("score"))
    return scores


def compare_scores(
    plan: RerunPlan, stored: dict[str, Any], rerun: dict[str, Any], tolerance: float
) -> list[dict[str, Any]]:
    """Samples whose rerun output is missing or differs from the stored one by > tolerance."""
    moved = []
    for new_id, original in plan.back.items():
        before, after = stored.get(original), rerun.get(new_id)
        ok = isinstance(after, int | float) and isinstance(before, int | float)
        delta = abs(float(after) - float(before)) if ok else None  # type: ignore[arg-type]
        if delta is None or delta > tolerance:
            moved.append(
                {
                    "id": original,
                    "as": new_id if new_id != original else "",
                    "stored": before,
                    "rerun": after,
                    "delta": delta,
                }
            )
    return moved


# Compares a rerun's predictions file with the stored outputs: the samples that moved.
Compare = Callable[[RerunPlan, Path], list[dict[str, Any]]]


def _queue_rerun(
    result: Result, kind: str, plan: RerunPlan, seed: int, tolerance: float, actor: str
) -> RunJob:
    """Materialize the rerun's inputs and queue its run job (the comparison comes after)."""
    key = f"{result.pk}-{kind}-{secrets.token_hex(4)}"
    base = Path(settings.FORGERYBENCH_AUDIT_DIR) / "tests" / key
    _materialize(plan, Path(result.split.inputs_dir), base / "inputs")
    return runjob_create(
        kind=RunJob.Kind.RERUN,
        submission=result.submission,
        split=result.split,
        inputs_dir=base / "inputs",
        artifacts_dir=base / "outputs",
        payload={
            "result": result.pk,
            "audit_kind": kind,
            "seed": seed,
            "tolerance": tolerance,
            "actor": actor,
            "back": plan.back,
            "subset": plan.subset,
            "started_at": timezone.now().isoformat(),
        },
    )


def _report(
    result: Result,
    job: RunJob,
    kind: str,
    plan: RerunPlan,
    compare: Compare,
    seed: int,
    tolerance: float,
    actor: str,
) -> AuditTestReport:
    predictions = Path(job.artifacts_dir) / PREDICTIONS_FILE
    moved: list[dict[str, Any]] = []
    if job.outcome != "completed":
        verdict = AuditTestReport.Outcome.ERROR
        summary = f"the rerun did not complete: {job.outcome} ({job.message})"
    else:
        moved = compare(plan, predictions)
        verdict = AuditTestReport.Outcome.FAILED if moved else AuditTestReport.Outcome.PASSED
        what = (
            "reran unchanged"
            if kind == AuditTestReport.Kind.DETERMINISM
            else ("reran shuffled, under fresh ids and names, each twice")
        )
        summary = (
            f"{len(plan.subset)} samples {what}: {len(plan.back) - len(moved)} of {len(plan.back)} "
            f"outputs within {tolerance:g} of the stored predictions"
        )
    with transaction.atomic():
        report = AuditTestReport.objects.create(
            result=result,
            kind=kind,
            outcome=verdict,
            seed=seed,
            tolerance=tolerance,
            subset=plan.subset,
            moved=moved[:MAX_LISTED],
            summary=summary + (f"; {len(moved)} moved" if moved else ""),
            run_outcome=job.outcome,
            image_id=result.submission.image_id,
            actor=actor,
            started_at=job.payload.get("started_at") or job.created_at,
            ended_at=timezone.now(),
        )
        audit_append(
            action=AuditAction.AUDIT_TESTS,
            target_type="result",
            target_id=result.pk,
            actor=actor,
            payload={
                "report": report.pk,
                "kind": kind,
                "outcome": verdict,
                "seed": seed,
                "moved": len(moved),
                "samples": len(plan.subset),
            },
        )
        RunJob.objects.filter(pk=job.pk).update(payload={**job.payload, "report": report.pk})
    return report


def _compare_for(result: Result) -> Compare:
    provenance = Provenance.objects.filter(result=result).first()
    if provenance is None:
        raise AuditTestUnavailable(f"result {result.pk} has no provenance record")
    policy = audit_policy_for(track_id=result.split.track_id)
    try:
        if result.split.track.task in (Task.LOCALIZATION, Task.VIDEO_LOCALIZATION):
            return _localization_compare(provenance, policy.tolerance, policy.mask_tolerance)
        return _detection_compare(provenance, policy.tolerance)
    except StoredPredictionsError as exc:
        raise AuditTestUnavailable(str(exc)) from None


def audit_rerun_finish(*, job_id: int) -> AuditTestReport | None:
    """Compare a finished rerun with the stored predictions and store its report (once)."""
    job = RunJob.objects.select_related("submission", "split").filter(pk=job_id).first()
    if job is None or job.state != RunJob.State.DONE or job.kind != RunJob.Kind.RERUN:
        return None
    if job.payload.get("report"):
        return AuditTestReport.objects.filter(pk=job.payload["report"]).first()
    payload = job.payload
    result = Result.objects.select_related("submission", "split__track").get(pk=payload["result"])
    plan = RerunPlan(manifest=[], files={}, back=dict(payload["back"]), subset=payload["subset"])
    try:
        report = _report(
            result,
            job,
            payload["audit_kind"],
            plan,
            _compare_for(result),
            int(payload["seed"]),
            float(payload["tolerance"]),
            str(payload["actor"]),
        )
    finally:
        shutil.rmtree(Path(job.inputs_dir).parent, ignore_errors=True)
    return report


def result_run_audit_tests(
    *,
    result: Result,
    actor: str = "system",
    kinds: tuple[str, ...] = KINDS,
    seed: int | None = None,
) -> list[RunJob]:
    """Queue the audit tests' reruns of one Result; each stores its report (shown on the
    Result's page) once its run job's outcome arrives."""
    track = result.split.track
    if track.task not in SUPPORTED:
        raise AuditTestUnavailable(
            f"audit tests support detection, image and video localization tracks, not {track.task}"
        )
    _compare_for(result)  # the stored predictions can be read: refuse now if not
    policy = audit_policy_for(track_id=track.pk)
    seed = secrets.randbits(32) if seed is None else seed
    rng = random.Random(seed)
    subset = _subset(_manifest(Path(result.split.inputs_dir)), policy.subset_size, rng)
    jobs = []
    for kind in kinds:
        if kind == AuditTestReport.Kind.DETERMINISM:
            plan = plan_same(subset)
        elif kind == AuditTestReport.Kind.NO_CUES:
            plan = plan_disguised(subset, rng)
        else:
            raise AuditTestUnavailable(f"unknown audit test {kind!r}")
        jobs.append(_queue_rerun(result, kind, plan, seed, policy.tolerance, actor))
    return jobs


def _detection_compare(provenance: Provenance, tolerance: float) -> Compare:
    lines = read_jsonl(
        predictions_jsonl_bytes(
            archive=Path(provenance.predictions_path),
            expected_sha256=provenance.predictions_sha256,
        )
    )
    stored = {line["id"]: line.get("score") for line in lines}
    return lambda plan, predictions: compare_scores(
        plan, stored, _read_scores(predictions), tolerance
    )


def _localization_compare(
    provenance: Provenance, tolerance: float, mask_tolerance: float
) -> Compare:
    """Unpack the stored masks once, keep them binarized in memory, compare each rerun."""
    with tempfile.TemporaryDirectory(dir=_scratch()) as folder:
        stored = read_localization_outputs(
            predictions_archive_extract(
                archive=Path(provenance.predictions_path),
                expected_sha256=provenance.predictions_sha256,
                into=Path(folder),
            )
        )
    return lambda plan, predictions: compare_localization(
        plan.back,
        stored,
        read_localization_outputs(predictions),
        tolerance=tolerance,
        mask_tolerance=mask_tolerance,
    )


def _scratch() -> Path:
    folder = Path(settings.FORGERYBENCH_AUDIT_DIR) / "tests"
    folder.mkdir(parents=True, exist_ok=True)
    return folder

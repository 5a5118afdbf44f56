"""Rescoring: recompute a Result from its stored predictions and the sealed labels, compare
every number exactly, and preview which leaderboard cells a new evaluator would move.

The comparison is exact (``==`` on every number of the stored JSON, intervals included):
scoring is deterministic for a fixed seed, so any difference is a finding, not noise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

import evaluator
from audit.models import AuditAction
from audit.services import audit_append
from evaluator.metrics.registry import task_spec
from evaluator.scoring import evaluate
from evaluator.splitformat import file_sha256
from evaluator.validation import PredictionError, TruthError
from submissions.models import Provenance, Result
from submissions.storage import StoredPredictionsError, predictions_archive_extract

from .models import RescoreReport


class RescoreUnavailable(ValueError):
    """The Result cannot be recomputed (no provenance, stored files gone, labels unreadable)."""


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for index, inner in enumerate(value):
            out.update(_flatten(inner, f"{prefix}[{index}]"))
        return out
    return {prefix: value}


def compare_reports(stored: dict[str, Any], recomputed: dict[str, Any]) -> list[dict[str, Any]]:
    """Every key whose value differs, per metric (``auc``, ``ci.auc[0]``, ``n.samples``...)."""
    old, new = _flatten(stored), _flatten(recomputed)
    differences = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        same = key in old and key in new and type(a) is type(b) and a == b
        # JSON storage may turn 1.0 into 1: equal numbers are the same number.
        if not same and isinstance(a, int | float) and isinstance(b, int | float):
            same = not isinstance(a, bool) and not isinstance(b, bool) and a == b
        if not same:
            differences.append({"metric": key, "stored": a, "recomputed": b})
    return differences


def _provenance(result: Result) -> Provenance:
    try:
        return Provenance.objects.select_related("split", "result__submission__track").get(
            result=result
        )
    except Provenance.DoesNotExist:
        raise RescoreUnavailable(f"result {result.pk} has no provenance record") from None


def _score_in_process(provenance: Provenance, predictions: Path, labels: Path) -> dict[str, Any]:
    settings = provenance.metric_settings
    return evaluate(
        settings["task"],
        labels,
        predictions,
        seed=provenance.bootstrap_seed,
        n_resamples=settings["n_resamples"],
        primary=settings["primary"],
    ).result


def offline_command(provenance: Provenance, *, truth: str, predictions: str) -> list[str]:
    """The exact ``python -m evaluator score`` call that reproduces this Result's numbers."""
    settings = provenance.metric_settings
    return [
        "python",
        "-m",
        "evaluator",
        "score",
        "--task",
        str(settings["task"]),
        "--truth",
        truth,
        "--predictions",
        predictions,
        "--seed",
        str(provenance.bootstrap_seed),
        "--resamples",
        str(settings["n_resamples"]),
        "--primary",
        str(settings["primary"]),
        "--json",
    ]


def _score_with_checkout(
    provenance: Provenance, predictions: Path, labels: Path, evaluator_root: Path
) -> dict[str, Any]:
    """Run a candidate evaluator (another checkout) through its own command line."""
    command = offline_command(provenance, truth=str(labels), predictions=str(predictions))
    command[0] = sys.executable
    env = dict(os.environ, PYTHONPATH=str(evaluator_root))
    done = subprocess.run(
        command,
        cwd=evaluator_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RescoreUnavailable(f"the candidate evaluator failed: {done.stderr.strip()[-500:]}")
    return json.loads(done.stdout)


def result_recompute(*, result: Result, evaluator_root: Path | None = None) -> dict[str, Any]:
    """The Result's report recomputed now, from checked stored predictions and sealed labels."""
    provenance = _provenance(result)
    labels = Path(provenance.split.labels_path)
    if not labels.is_file():
        raise RescoreUnavailable(f"the sealed labels of split {provenance.split} are missing")
    if file_sha256(labels) != provenance.labels_sha256:
        raise RescoreUnavailable(
            f"the sealed labels of split {provenance.split} changed since scoring"
        )
    with tempfile.TemporaryDirectory(prefix="forgerybench-rescore-") as folder:
        try:
            predictions = predictions_archive_extract(
                archive=Path(provenance.predictions_path),
                expected_sha256=provenance.predictions_sha256,
                into=Path(folder),
            )
            if evaluator_root is not None:
                return _score_with_checkout(provenance, predictions, labels, evaluator_root)
            return _score_in_process(provenance, predictions, labels)
        except StoredPredictionsError as exc:
            raise RescoreUnavailable(str(exc)) from None
        except (PredictionError, TruthError) as exc:
            raise RescoreUnavailable(str(exc)) from None


def result_rescore(*, result: Result, actor: str = "system") -> RescoreReport:
    """Recompute, compare exactly, store the report and log it. Never changes the Result."""
    error = ""
    differences: list[dict[str, Any]] = []
    try:
        recomputed = result_recompute(result=result)
        differences = compare_reports(result.metrics, recomputed)
    except RescoreUnavailable as exc:
        error = str(exc)
    matches = not error and not differences
    with transaction.atomic():
        report = RescoreReport.objects.create(
            result=result,
            at=timezone.now(),
            actor=actor,
            evaluator_version=evaluator.__version__,
            protocol_version=evaluator.PROTOCOL_VERSION,
            matches=matches,
            differences=differences,
            error=error,
        )
        audit_append(
            action=AuditAction.RESCORED,
            target_type="result",
            target_id=result.pk,
            actor=actor,
            payload={
                "report": report.pk,
                "matches": matches,
                "differences": len(differences),
                "metrics": sorted({d["metric"] for d in differences})[:50],
                "error": error,
                "evaluator_version": evaluator.__version__,
                "protocol_version": evaluator.PROTOCOL_VERSION,
            },
        )
    return report


@dataclass(frozen=True)
class Move:
    """One leaderboard cell under the stored numbers and under the candidate evaluator."""

    result_id: int
    team: str
    method: str
    stored: float | None
    candidate: float | None
    stored_rank: int
    candidate_rank: int
    error: str = ""

    @property
    def moved(self) -> bool:
        return (
            bool(self.error)
            or self.stored != self.candidate
            or self.stored_rank != self.candidate_rank
        )


def _ranks(values: list[float | None], *, higher_is_better: bool) -> list[int]:
    """Competition ranks (1, 2, 2, 4); undefined values rank last."""
    sign = -1.0 if higher_is_better else 1.0
    keyed = sorted(range(len(values)), key=lambda i: (values[i] is None, sign * (values[i] or 0.0)))
    ranks = [0] * len(values)
    for position, index in enumerate(keyed, start=1):
        previous = keyed[position - 2] if position > 1 else None
        same = previous is not None and values[previous] == values[index]
        ranks[index] = ranks[previous] if same and previous is not None else position
    return ranks


def split_moves(
    *, results: list[Result], primary: str, task: str, evaluator_root: Path | None = None
) -> list[Move]:
    """Recompute each Result with the installed (or a candidate) evaluator and rank both ways."""
    candidates: list[float | None] = []
    errors: list[str] = []
    for result in results:
        try:
            report = result_recompute(result=result, evaluator_root=evaluator_root)
            candidates.append(report.get(primary))
            errors.append("")
        except RescoreUnavailable as exc:
            candidates.append(None)
            errors.append(str(exc))
    stored = [result.metrics.get(primary) for result in results]
    higher = task_spec(task).metric(primary).higher_is_better
    stored_ranks = _ranks(stored, higher_is_better=higher)
    candidate_ranks = _ranks(candidates, higher_is_better=higher)
    return [
        Move(
            result_id=result.pk,
            team=result.submission.team.name,
            method=result.submission.method_name,
            stored=stored[i],
            candidate=candidates[i],
            stored_rank=stored_ranks[i],
            candidate_rank=candidate_ranks[i],
            error=errors[i],
        )
        for i, result in enumerate(results)
    ]

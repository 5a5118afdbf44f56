"""Reads of the console: what it lists, and where the database differs from the definition
files (fields a console edit changed that the next ``load_benchmarks`` will set back)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.definitions_apply import console_definition_files
from benchmarks.models import Benchmark, Phase, Track
from benchmarks.spec import DefinitionError, load_definitions

# Track fields a definition file declares (``entry_rule`` where the spec has it). Quotas are
# not among them: they are set in the console (or the admin) and a reload never touches them.
TRACK_FILE_FIELDS = (
    "name",
    "task",
    "primary_metric",
    "resource_class",
    "timeout_seconds",
    "memory_mb",
    "cpus",
    "entry_rule",
)
PHASE_FILE_FIELDS = {"name": "name", "starts_at": "starts", "ends_at": "ends"}


@dataclass(frozen=True)
class Drift:
    """One field whose stored value differs from its definition file."""

    where: str  # "smoke-detect/phase open", "smoke-detect/image"
    field: str
    stored: Any
    in_file: Any
    file: str


@dataclass(frozen=True)
class DriftReport:
    drifts: list[Drift]
    console_only_phases: list[str]  # phases no file declares: a reload leaves them alone
    error: str = ""


def _same(stored: Any, in_file: Any) -> bool:
    if isinstance(stored, int | float) and isinstance(in_file, int | float):
        return float(stored) == float(in_file)
    return bool(stored == in_file)


def definition_drift(*, files: list[Path] | None = None) -> DriftReport:
    """Compare every benchmark loaded from a definition file with that file (by default the
    shipped files and those applied from the console, as ``load_benchmarks`` reads them)."""
    try:
        definitions = load_definitions(
            files, overrides=console_definition_files() if files is None else None
        )
    except DefinitionError as exc:
        return DriftReport([], [], error=str(exc))
    drifts: list[Drift] = []
    console_only: list[str] = []
    for bdef in definitions:
        benchmark = Benchmark.objects.filter(slug=bdef.slug).first()
        if benchmark is None:
            continue
        declared = {p.slug: p for p in bdef.phases}
        for phase in Phase.objects.filter(benchmark=benchmark).order_by("starts_at"):
            pdef = declared.get(phase.slug)
            where = f"{bdef.slug}/phase {phase.slug}"
            if pdef is None:
                console_only.append(where)
                continue
            wanted: dict[str, Any] = {
                field: getattr(pdef, attr) for field, attr in PHASE_FILE_FIELDS.items()
            }
            wanted["final_picks"] = pdef.final_picks
            wanted["one_team_per_person"] = pdef.one_team_per_person
            for field, in_file in wanted.items():
                stored = getattr(phase, field)
                if not _same(stored, in_file):
                    drifts.append(Drift(where, field, stored, in_file, bdef.file))
        tracks = {t.slug: t for t in Track.objects.filter(benchmark=benchmark)}
        for tdef in bdef.tracks:
            track = tracks.get(tdef.slug)
            if track is None:
                continue
            for field in TRACK_FILE_FIELDS:
                if not hasattr(tdef, field):
                    continue
                stored, in_file = getattr(track, field), getattr(tdef, field)
                if not _same(stored, in_file):
                    drifts.append(
                        Drift(f"{bdef.slug}/{tdef.slug}", field, stored, in_file, bdef.file)
                    )
    return DriftReport(drifts, console_only)

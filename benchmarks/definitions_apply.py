"""Apply benchmark definitions to the database and the data folder (``load_benchmarks``).

Idempotent: rows are updated in place and split files are built only when missing or when their
recorded recipe (``recipe.json`` next to the labels) differs from the definition. A change that
would invalidate scored results — another task or primary metric on a track with results,
another recipe or visibility for a split with results — is refused before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from evaluator.splitformat import MANIFEST_FILE, TRUTH_FILE, file_sha256

from .keys import hidden_seed
from .models import Benchmark, Phase, Split, Track
from .perturb import level_slug, perturb_split
from .services import benchmark_upsert, split_register, track_upsert
from .shortcuts import scan_split
from .smoke.generators import GENERATORS
from .spec import BenchmarkDef, SplitDef, TrackDef
from .terms import terms_conflict, terms_publish

RECIPE_FILE = "recipe.json"
# Bump when a generator's output changes, so that splits built by older code are rebuilt.
GENERATOR_VERSION = 1
IMPORT_RECORD = "import.json"
SHORTCUTS_FILE = "shortcuts.json"


class DefinitionConflict(ValueError):
    """Applying the definitions would invalidate results already scored."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            "refused: these changes would invalidate existing results:\n" + "\n".join(problems)
        )


@dataclass
class LoadReport:
    lines: list[str] = field(default_factory=list)
    awaiting_import: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


@dataclass(frozen=True)
class PlannedSplit:
    """One split a definition asks for, with the recipe that makes its files."""

    track: TrackDef
    name: str
    visibility: str
    recipe: dict[str, Any] | None  # None: imported data, made by import_dataset
    perturbation: str = ""
    level: float | None = None


def console_definition_files() -> list[Path]:
    """The definition files applied from the organizer console (``<slug>.yaml`` each)."""
    return sorted(Path(settings.FORGERYBENCH_DEFINITIONS_DIR).glob("*.yaml"))


def split_dirs(benchmark: str, track: str, split: str) -> tuple[Path, Path]:
    """Where a split's inputs and its sealed labels live."""
    return (
        Path(settings.FORGERYBENCH_SPLITS_DIR) / benchmark / track / split,
        Path(settings.FORGERYBENCH_LABELS_DIR) / benchmark / track / split,
    )


def _scaled(count: int, scale: float, even: bool) -> int:
    n = max(4, int(count * scale))
    return n // 2 * 2 if even else n


# The debug split's size and the offset of its seed from the track's hidden split's.
DEBUG_COUNT = 8
DEBUG_SEED_OFFSET = 7919


def _debug_plan(tdef: TrackDef, scale: float) -> PlannedSplit | None:
    """A track's small public ``debug`` split in its hidden split's format (docs/security.md):
    generated tracks make a few fresh samples with the same generator; robustness tracks
    perturb the source track's debug split at the strongest level of their first
    perturbation; imported tracks copy a few samples of their public split (never a hidden
    one) under fresh ids. None when the definition names a debug split itself or the track has
    no way to make one."""
    if any(sdef.name == Split.DEBUG for sdef in tdef.splits):
        return None
    if tdef.robustness is not None:
        rob = tdef.robustness
        kind, levels = next(iter(rob.perturbations.items()))
        recipe = {
            "perturbation": kind,
            "level": levels[-1],
            "seed": rob.seed,
            "sample": None,
            "of": f"{rob.track}/{Split.DEBUG}",
        }
        return PlannedSplit(tdef, Split.DEBUG, "public", recipe)
    if tdef.generator is None:
        public = [sdef for sdef in tdef.splits if sdef.visibility == "public"]
        if tdef.importer is None or not public:
            return None
        source = min(public, key=lambda sdef: (sdef.name != "val", sdef.name))
        recipe = {
            "perturbation": "none",
            "level": None,
            "seed": DEBUG_SEED_OFFSET,
            "sample": DEBUG_COUNT,
            "of": f"{tdef.slug}/{source.name}",
        }
        return PlannedSplit(tdef, Split.DEBUG, "public", recipe)
    hidden = [sdef for sdef in tdef.splits if sdef.visibility == "hidden"]
    if not hidden or hidden[0].seed is None:
        return None
    even = tdef.generator == "smoke-detect"
    recipe = {
        "generator": tdef.generator,
        "version": GENERATOR_VERSION,
        "count": _scaled(DEBUG_COUNT, scale, even),
        "seed": hidden[0].seed + DEBUG_SEED_OFFSET,
    }
    return PlannedSplit(tdef, Split.DEBUG, "public", recipe)


def plan_splits(bdef: BenchmarkDef, *, scale: float = 1.0) -> list[PlannedSplit]:
    planned: list[PlannedSplit] = []
    for tdef in bdef.tracks:
        # After the track's own splits: an imported track's debug split is copied from its
        # public split, which must be registered first.
        debug = _debug_plan(tdef, scale)
        if tdef.robustness is not None:
            rob = tdef.robustness
            sample = None if rob.sample is None else _scaled(rob.sample, scale, even=True)
            levels: list[tuple[str, float | None]] = [("none", None)]
            levels += [(k, v) for k, values in rob.perturbations.items() for v in values]
            for kind, level in levels:
                recipe = {
                    "perturbation": kind,
                    "level": level,
                    "seed": rob.seed,
                    "sample": sample,
                    "of": f"{rob.track}/{rob.split}",
                }
                planned.append(
                    PlannedSplit(
                        tdef,
                        level_slug(kind, level),
                        "hidden",
                        recipe,
                        "" if kind == "none" else kind,
                        level,
                    )
                )
        else:
            for sdef in tdef.splits:
                planned.append(
                    PlannedSplit(tdef, sdef.name, sdef.visibility, _recipe(tdef, sdef, scale))
                )
        if debug is not None:
            planned.append(debug)
    return planned


def _recipe(tdef: TrackDef, sdef: SplitDef, scale: float) -> dict[str, Any] | None:
    if tdef.generator is None:
        return None
    assert sdef.count is not None
    even = tdef.generator == "smoke-detect"
    recipe: dict[str, Any] = {
        "generator": tdef.generator,
        "version": GENERATOR_VERSION,
        "count": _scaled(sdef.count, scale, even),
        "seed": sdef.seed,
    }
    if sdef.variant:
        # Only when set: recipes of existing splits stay equal, so nothing is rebuilt.
        recipe["variant"] = sdef.variant
    if sdef.visibility != "public":
        # A hidden split's generator seed is its declared seed keyed by the installation's
        # secret (benchmarks.keys): the public definition and code cannot rebuild its bytes.
        recipe["seed_key"] = "installation"
    return recipe


def _has_results(split: Split) -> bool:
    return split.results.exists() or split.runs.exists()


def check_conflicts(bdefs: list[BenchmarkDef], *, scale: float = 1.0) -> list[str]:
    """Every change that would invalidate results already scored; empty when safe."""
    problems: list[str] = []
    for bdef in bdefs:
        if bdef.terms is not None:
            conflict = terms_conflict(
                benchmark_slug=bdef.slug, version=bdef.terms.version, text=bdef.terms.text
            )
            if conflict:
                problems.append(f"{bdef.file}: {conflict}")
        for tdef in bdef.tracks:
            track = Track.objects.filter(benchmark__slug=bdef.slug, slug=tdef.slug).first()
            if track is None:
                continue
            scored = Split.objects.filter(track=track, results__isnull=False).exists()
            where = f"{bdef.file}: {bdef.slug}/{tdef.slug}"
            if scored and track.task != tdef.task:
                problems.append(f"{where}: task {track.task} -> {tdef.task} on a scored track")
            if scored and track.primary_metric != tdef.primary_metric:
                problems.append(
                    f"{where}: primary_metric {track.primary_metric} -> {tdef.primary_metric} "
                    "on a scored track"
                )
        for plan in plan_splits(bdef, scale=scale):
            split = Split.objects.filter(
                track__benchmark__slug=bdef.slug, track__slug=plan.track.slug, name=plan.name
            ).first()
            if split is None or not _has_results(split):
                continue
            where = f"{bdef.file}: {bdef.slug}/{plan.track.slug}/{plan.name}"
            if split.visibility != plan.visibility:
                problems.append(f"{where}: visibility {split.visibility} -> {plan.visibility}")
            old = split.metadata.get("recipe")
            if plan.recipe is not None and old is not None and old != plan.recipe:
                problems.append(f"{where}: recipe {old} -> {plan.recipe} would replace its data")
    return problems


def _recipe_on_disk(labels_dir: Path) -> dict[str, Any] | None:
    try:
        return json.loads((labels_dir / RECIPE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _shortcut_scan(inputs_dir: Path, labels_dir: Path) -> dict[str, Any]:
    """The split's shortcut scan (``shortcuts.json`` beside its labels), run once per build."""
    path = labels_dir / SHORTCUTS_FILE
    try:
        stored: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return stored
    except (OSError, ValueError):
        pass
    scan = scan_split(inputs_dir, labels_dir / TRUTH_FILE)
    path.write_text(json.dumps(scan, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return scan


def _build(
    plan: PlannedSplit, bdef: BenchmarkDef, inputs_dir: Path, labels_dir: Path
) -> dict[str, Any]:
    """Make the split's files in staging folders, then move them into place."""
    assert plan.recipe is not None
    stage = f".staging-{os.getpid()}"
    stage_in, stage_lab = (
        inputs_dir.with_name(inputs_dir.name + stage),
        labels_dir.with_name(labels_dir.name + stage),
    )
    for folder in (stage_in, stage_lab):
        shutil.rmtree(folder, ignore_errors=True)
    track_label = f"{bdef.slug}/{plan.track.slug}"
    if "generator" in plan.recipe:
        seed = plan.recipe["seed"]
        if plan.recipe.get("seed_key") == "installation":
            seed = hidden_seed(where=f"{track_label}/{plan.name}", seed=seed)
        summary = GENERATORS[plan.recipe["generator"]].build(
            inputs_dir=stage_in,
            labels_dir=stage_lab,
            split=plan.name,
            count=plan.recipe["count"],
            seed=seed,
            track=track_label,
            **({"variant": plan.recipe["variant"]} if "variant" in plan.recipe else {}),
        )
    else:
        source_track, source_split = plan.recipe["of"].split("/", 1)
        source = Split.objects.get(
            track__benchmark__slug=bdef.slug, track__slug=source_track, name=source_split
        )
        summary = perturb_split(
            task=plan.track.task,
            inputs_dir=Path(source.inputs_dir),
            labels_path=Path(source.labels_path),
            out_inputs=stage_in,
            out_labels=stage_lab,
            kind=plan.recipe["perturbation"],
            level=plan.recipe["level"],
            seed=plan.recipe["seed"],
            track=track_label,
            sample=plan.recipe["sample"],
        )
    (stage_lab / RECIPE_FILE).write_text(json.dumps(plan.recipe, sort_keys=True) + "\n")
    for stage_dir, final in ((stage_in, inputs_dir), (stage_lab, labels_dir)):
        shutil.rmtree(final, ignore_errors=True)
        final.parent.mkdir(parents=True, exist_ok=True)
        stage_dir.rename(final)
    return summary


def _apply_benchmark(bdef: BenchmarkDef, *, scale: float, report: LoadReport) -> Benchmark:
    with transaction.atomic():
        benchmark = benchmark_upsert(
            slug=bdef.slug, name=bdef.name, description=bdef.description, synthetic=bdef.synthetic
        )
        Benchmark.objects.filter(pk=benchmark.pk).update(definition_file=bdef.file)
        if bdef.terms is not None:
            terms_publish(benchmark=benchmark, version=bdef.terms.version, text=bdef.terms.text)
        for pdef in bdef.phases:
            Phase.objects.update_or_create(
                benchmark=benchmark,
                slug=pdef.slug,
                defaults={
                    "name": pdef.name,
                    "starts_at": pdef.starts,
                    "ends_at": pdef.ends,
                    "final_picks": pdef.final_picks,
                    "one_team_per_person": pdef.one_team_per_person,
                    "publish": pdef.disclosure.publish,
                    "publication_schedule": [m.isoformat() for m in pdef.disclosure.schedule],
                    "public_fraction": pdef.disclosure.public_fraction,
                    "public_seed": pdef.disclosure.public_seed,
                },
            )
        tracks: dict[str, Track] = {}
        for tdef in bdef.tracks:
            tracks[tdef.slug] = track_upsert(
                benchmark=benchmark,
                slug=tdef.slug,
                name=tdef.name,
                task=tdef.task,
                primary_metric=tdef.primary_metric,
                resource_class=tdef.resource_class,
                timeout_seconds=tdef.timeout_seconds,
                memory_mb=tdef.memory_mb,
                cpus=tdef.cpus,
                entry_rule=tdef.entry_rule,
            )
        for tdef in bdef.tracks:
            source = tracks[tdef.robustness.track] if tdef.robustness else None
            Track.objects.filter(pk=tracks[tdef.slug].pk).update(
                description=tdef.description, robustness_of=source
            )
    for plan in plan_splits(bdef, scale=scale):
        inputs_dir, labels_dir = split_dirs(bdef.slug, plan.track.slug, plan.name)
        where = f"{bdef.slug}/{plan.track.slug}/{plan.name}"
        metadata: dict[str, Any]
        if plan.recipe is None:
            if not (labels_dir / TRUTH_FILE).is_file():
                kind = plan.track.importer
                report.awaiting_import.append(where)
                report.add(f"{where}: awaiting import (manage.py import_dataset {kind} --root DIR)")
                continue
            record = json.loads((labels_dir / IMPORT_RECORD).read_text(encoding="utf-8"))
            metadata = {"import": record}
        else:
            of = plan.recipe.get("of")
            stale_copy = False
            if of is not None:
                source_track, source_split = of.split("/", 1)
                origin = Split.objects.filter(track=tracks[source_track], name=source_split).first()
                if origin is None:
                    report.awaiting_import.append(where)
                    report.add(f"{where}: awaiting its source split {of}")
                    continue
                stale_copy = plan.name == Split.DEBUG and _debug_copy_stale(
                    plan, tracks[plan.track.slug], Path(origin.inputs_dir), labels_dir
                )
            if (
                stale_copy
                or _recipe_on_disk(labels_dir) != plan.recipe
                or not (inputs_dir / MANIFEST_FILE).is_file()
            ):
                summary = _build(plan, bdef, inputs_dir, labels_dir)
                report.add(f"{where}: built ({_describe(summary)})")
            metadata = {
                "recipe": plan.recipe,
                "shortcut_scan": _shortcut_scan(inputs_dir, labels_dir),
            }
            perturbation = labels_dir / "perturbation.json"
            if perturbation.is_file():
                metadata["perturbation"] = json.loads(perturbation.read_text(encoding="utf-8"))
        split = split_register(
            track=tracks[plan.track.slug],
            name=plan.name,
            visibility=plan.visibility,
            inputs_dir=inputs_dir,
            labels_path=labels_dir / TRUTH_FILE,
        )
        Split.objects.filter(pk=split.pk).update(
            metadata=metadata, perturbation=plan.perturbation, level=plan.level
        )
        report.add(f"{where}: {split.sample_count} samples, {split.visibility}")
    return benchmark


def _debug_copy_stale(
    plan: PlannedSplit, track: Track, source_inputs: Path, labels_dir: Path
) -> bool:
    """A debug split copied from a split that was imported again since: made again from the new
    files, unless a submission already ran on it (its results stay on the data they scored)."""
    try:
        record = json.loads((labels_dir / "perturbation.json").read_text(encoding="utf-8"))
        current = file_sha256(source_inputs / MANIFEST_FILE)
    except (OSError, ValueError):
        return False
    if record.get("source_manifest_sha256") == current:
        return False
    existing = Split.objects.filter(track=track, name=plan.name).first()
    return existing is None or not _has_results(existing)


def _describe(summary: dict[str, Any]) -> str:
    keys = ("count", "queries", "gallery", "videos", "frames", "samples", "perturbation", "level")
    return ", ".join(f"{k} {summary[k]}" for k in keys if k in summary)


def definitions_apply(
    bdefs: list[BenchmarkDef], *, scale: float = 1.0, tracks: set[str] | None = None
) -> LoadReport:
    """Create or update every benchmark of ``bdefs`` (optionally only some ``bench/track``)."""
    if tracks is not None:
        bdefs = [_only_tracks(b, tracks) for b in bdefs]
        bdefs = [b for b in bdefs if b.tracks]
    problems = check_conflicts(bdefs, scale=scale)
    if problems:
        raise DefinitionConflict(problems)
    report = LoadReport()
    for bdef in bdefs:
        _apply_benchmark(bdef, scale=scale, report=report)
    return report


def _only_tracks(bdef: BenchmarkDef, wanted: set[str]) -> BenchmarkDef:
    keep = [t for t in bdef.tracks if f"{bdef.slug}/{t.slug}" in wanted or bdef.slug in wanted]
    # A robustness track needs the track it perturbs.
    needed = {t.robustness.track for t in keep if t.robustness}
    keep += [t for t in bdef.tracks if t.slug in needed and t not in keep]
    return replace(bdef, tracks=tuple(t for t in bdef.tracks if t in keep))

"""Import an organizer's copy into every split that the definitions fill from it.

Each split is written into staging folders first; it replaces the split's current files only if
it differs from them and no result was scored on them (else the import is refused), and is then
registered through the same path as ``load_benchmarks``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from evaluator.splitformat import MANIFEST_FILE, TRUTH_FILE, file_sha256

from .definitions_apply import definitions_apply, split_dirs
from .importers import ImportProblems, import_split
from .keys import import_id_key
from .models import Split
from .shortcuts import describe
from .spec import BenchmarkDef


@dataclass
class ImportReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _sha(path: Path) -> str | None:
    return file_sha256(path) if path.is_file() else None


def dataset_import(
    kind: str,
    *,
    root: Path,
    definitions: list[BenchmarkDef],
    benchmark: str | None = None,
    track: str | None = None,
    id_key: str | None = None,
    quiet: bool = True,
) -> ImportReport:
    """Import every split (of the chosen benchmark/track) whose source importer is ``kind``.

    ``id_key`` (the organizer's secret) keys the sample ids; without it the installation's own
    key does (``benchmarks.keys``). An empty key is refused (:class:`EmptyIdKey`).
    """
    key = import_id_key(id_key)
    report = ImportReport()
    targets = [
        (b, t)
        for b in definitions
        for t in b.tracks
        if t.importer == kind
        and (benchmark is None or b.slug == benchmark)
        and (track is None or t.slug == track)
    ]
    if not targets:
        report.problems.append(
            f"no track of the definitions imports {kind!r}"
            + (f" in {benchmark}" if benchmark else "")
            + (f"/{track}" if track else "")
        )
        return report
    touched: set[str] = set()
    for bdef, tdef in targets:
        for sdef in tdef.splits:
            where = f"{bdef.slug}/{tdef.slug}/{sdef.name}"
            inputs_dir, labels_dir = split_dirs(bdef.slug, tdef.slug, sdef.name)
            suffix = f".import-{os.getpid()}"
            stage_in = inputs_dir.with_name(inputs_dir.name + suffix)
            stage_lab = labels_dir.with_name(labels_dir.name + suffix)
            for folder in (stage_in, stage_lab):
                shutil.rmtree(folder, ignore_errors=True)
            assert sdef.source_split is not None
            try:
                record = import_split(
                    kind,
                    root=root,
                    split=sdef.source_split,
                    options=tdef.importer_options,
                    inputs_dir=stage_in,
                    labels_dir=stage_lab,
                    track=f"{bdef.slug}/{tdef.slug}",
                    id_key=f"{key}/{where}",
                    quiet=quiet,
                )
            except ImportProblems as exc:
                report.problems += [f"{where}: {p}" for p in exc.problems]
                continue
            same = _sha(stage_in / MANIFEST_FILE) == _sha(inputs_dir / MANIFEST_FILE) and _sha(
                stage_lab / TRUTH_FILE
            ) == _sha(labels_dir / TRUTH_FILE)
            existing = Split.objects.filter(
                track__benchmark__slug=bdef.slug, track__slug=tdef.slug, name=sdef.name
            ).first()
            scored = existing is not None and (existing.results.exists() or existing.runs.exists())
            if same:
                shutil.rmtree(stage_in)
                shutil.rmtree(stage_lab)
                report.lines.append(f"{where}: unchanged ({record['samples']} samples)")
            elif scored:
                shutil.rmtree(stage_in)
                shutil.rmtree(stage_lab)
                report.problems.append(
                    f"{where}: refused: results were scored on the current files and this "
                    "import differs from them"
                )
                continue
            else:
                for stage, final in ((stage_in, inputs_dir), (stage_lab, labels_dir)):
                    shutil.rmtree(final, ignore_errors=True)
                    final.parent.mkdir(parents=True, exist_ok=True)
                    stage.rename(final)
                classes = record.get("classes", {})
                report.lines.append(
                    f"{where}: imported {record['samples']} samples from {record['units']} "
                    f"units, classes {classes}"
                )
                report.lines.append(f"{where}: {describe(record['shortcut_scan'])}")
            touched.add(f"{bdef.slug}/{tdef.slug}")
    if touched:
        report.lines += definitions_apply(definitions, tracks=touched).lines
    return report

"""Importers: an organizer's copy of a dataset, in its real layout, into a sealed split.

``IMPORTERS`` maps the kind named in a definition (``source: {importer: KIND}``) and on the
command line (``manage.py import_dataset KIND --root DIR``) to its planner. A planner checks the
copy and lists every entry; :func:`import_split` writes the split or raises
:class:`~benchmarks.importers.base.ImportProblems` listing every problem found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from .base import ImportProblems, Problems, SplitSpec, write_split
from .davis import plan_davis
from .deepfakes import plan_deeperforensics, plan_dfd, plan_dfdc
from .pairs import (
    plan_casia1,
    plan_casia2,
    plan_columbia,
    plan_coverage,
    plan_imd2020,
    plan_nist16,
)
from .retrieval import plan_retrieval
from .videos import plan_celebdf, plan_ffpp, plan_videolist

Planner = Callable[[Path, str, dict[str, Any], Problems], SplitSpec]
IMPORTERS: dict[str, Planner] = {
    "ffpp": plan_ffpp,
    "celebdf": plan_celebdf,
    "videolist": plan_videolist,
    "dfd": plan_dfd,
    "dfdc": plan_dfdc,
    "deeperforensics": plan_deeperforensics,
    "retrieval": plan_retrieval,
    "casia1": plan_casia1,
    "casia2": plan_casia2,
    "imd2020": plan_imd2020,
    "coverage": plan_coverage,
    "nist16": plan_nist16,
    "columbia": plan_columbia,
    "davis": plan_davis,
}

__all__ = ["IMPORTERS", "ImportProblems", "import_split"]


def import_split(
    kind: str,
    *,
    root: Path,
    split: str,
    options: dict[str, Any],
    inputs_dir: Path,
    labels_dir: Path,
    track: str,
    id_key: str,
    quiet: bool = True,
) -> dict[str, Any]:
    """Check the copy, then write one split; returns the record written to import.json."""
    if kind not in IMPORTERS:
        raise ValueError(f"unknown importer {kind!r}; expected one of {', '.join(IMPORTERS)}")
    root = Path(root)
    problems = Problems()
    if not root.is_dir():
        raise ImportProblems([f"{root}: not a folder"])
    spec = IMPORTERS[kind](root, split, dict(options), problems)
    if problems.items and not spec.entries:
        problems.raise_if_any()
    spec = replace(
        spec, track=track, record={**spec.record, "options": dict(sorted(options.items()))}
    )
    return write_split(spec, inputs_dir, labels_dir, id_key=id_key, quiet=quiet, problems=problems)

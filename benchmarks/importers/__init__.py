"""Importers: an organizer's copy of a dataset, in its real layout, into a sealed split.

``IMPORTERS`` maps the kind named in a definition (``source: {importer: KIND}``) and on the
command line (``manage.py import_dataset KIND --root DIR``) to its task, the options it accepts
(``benchmarks.spec`` checks definitions against them) and its planner. A planner checks the
copy and lists every entry; :func:`import_split` writes the split or raises
:class:`~benchmarks.importers.base.ImportProblems` listing every problem found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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


@dataclass(frozen=True)
class Importer:
    task: str
    options: frozenset[str]  # the option names it accepts; their values it checks itself
    plan: Planner


def _importer(task: str, options: set[str], plan: Planner) -> Importer:
    return Importer(task, frozenset(options), plan)


_VIDEO = {"mode", "frames", "face_crop"}
IMPORTERS: dict[str, Importer] = {
    "ffpp": _importer("detection", {"compression", "manipulations", *_VIDEO}, plan_ffpp),
    "celebdf": _importer("detection", {"val_videos", *_VIDEO}, plan_celebdf),
    "videolist": _importer("detection", {"list_dir", *_VIDEO}, plan_videolist),
    "dfd": _importer("detection", {"compression", *_VIDEO}, plan_dfd),
    "dfdc": _importer("detection", {"parts", *_VIDEO}, plan_dfdc),
    "deeperforensics": _importer(
        "detection", {"variant", "originals", *_VIDEO}, plan_deeperforensics
    ),
    "retrieval": _importer(
        "retrieval", {"queries", "gallery", "relevance", "masks"}, plan_retrieval
    ),
    "casia1": _importer("localization", {"masks", "authentic"}, plan_casia1),
    "casia2": _importer(
        "localization", {"masks", "authentic", "mask_renames", "unmatched"}, plan_casia2
    ),
    "imd2020": _importer("localization", {"authentic"}, plan_imd2020),
    "coverage": _importer("localization", {"authentic"}, plan_coverage),
    "nist16": _importer("localization", {"reference"}, plan_nist16),
    "columbia": _importer("localization", {"authentic"}, plan_columbia),
    "davis": _importer("video_localization", {"method", "stride", "inpainted"}, plan_davis),
}

__all__ = ["IMPORTERS", "ImportProblems", "Importer", "import_split"]


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
    spec = IMPORTERS[kind].plan(root, split, dict(options), problems)
    if problems.items and not spec.entries:
        problems.raise_if_any()
    spec = replace(
        spec, track=track, record={**spec.record, "options": dict(sorted(options.items()))}
    )
    return write_split(spec, inputs_dir, labels_dir, id_key=id_key, quiet=quiet, problems=problems)

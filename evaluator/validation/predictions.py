"""Strict reading of a predictions file against the ids a split expects (protocol §3).

Every rule is checked over the whole file and reported as one named error listing the first
offenders with line numbers; nothing is filled in for a missing sample. The same function serves
the platform's score step and the offline CLI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evaluator.metrics.registry import task_spec
from evaluator.metrics.retrieval import MAX_RANKING
from evaluator.validation.errors import PredictionError
from evaluator.validation.files import (
    DEFAULT_MAX_FILE_BYTES,
    Collector,
    check_no_symlink,
    read_jsonl,
    safe_relative,
)

FIELDS = {
    "detection": ({"id", "score"}, set()),
    "localization": ({"id", "mask"}, {"score"}),
    "retrieval": ({"id", "ranking"}, set()),
    "video_localization": ({"id", "mask"}, set()),
}


@dataclass(frozen=True)
class Predictions:
    """Predictions aligned with the expected ids (position i answers ``expected_ids[i]``).

    ``lines`` are the 1-based line numbers in the predictions file, for error messages.
    Only the fields of the task are set: ``scores`` (detection; localization, NaN = not given),
    ``masks`` (absolute paths, already checked to stay inside the folder), ``rankings``.
    """

    task: str
    lines: list[int]
    scores: NDArray[np.float64] | None = None
    masks: list[Path] | None = None
    rankings: list[list[str]] | None = None


def _score(value: Any) -> float | None:
    """The score as a float if it is a finite number in [0, 1], else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0.0 <= number <= 1.0 else None


def read_predictions(
    task: str,
    path: Path,
    expected_ids: Sequence[str],
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> Predictions:
    """Read and check ``path`` for ``task``; raise :class:`PredictionError` on any violation.

    Mask files are only located here (inside the folder, not links); their content is checked
    by :mod:`evaluator.validation.masks` before decoding.
    """
    task_spec(task)
    required, optional = FIELDS[task]
    rows = read_jsonl(path, max_bytes=max_file_bytes, error=PredictionError, allow_symlink=False)
    errors = Collector(PredictionError)
    position = {ident: i for i, ident in enumerate(expected_ids)}
    found: dict[int, tuple[int, dict[str, Any]]] = {}
    first_line: dict[str, int] = {}
    for number, row in rows:
        unknown = set(row) - required - optional
        if unknown:
            errors.add("unknown_field", number, f"unexpected {', '.join(sorted(unknown))}")
        missing = required - set(row)
        if missing:
            errors.add("bad_line", number, f"missing {', '.join(sorted(missing))}")
        ident = row.get("id")
        if not isinstance(ident, str):
            errors.add("bad_line", number, f"'id' must be a string, got {ident!r}")
            continue
        if ident in first_line:
            errors.add("duplicate_id", number, f"{ident!r} first on line {first_line[ident]}")
            continue
        first_line[ident] = number
        if ident not in position:
            errors.add("unknown_id", number, repr(ident))
            continue
        found[position[ident]] = (number, row)
    for i, ident in enumerate(expected_ids):
        if i not in found:
            errors.add("missing_id", None, repr(ident))
    if errors.by_code:
        # The ids are wrong, but check the values of the lines that were found as well, so
        # one report names every rule the file breaks.
        _check_values(task, [found[i] for i in sorted(found)], path, errors, required)
        errors.raise_if_any()

    ordered = [found[i] for i in range(len(expected_ids))]
    lines = [number for number, _ in ordered]
    scores, masks, rankings = _check_values(task, ordered, path, errors, required)
    errors.raise_if_any()
    return Predictions(task=task, lines=lines, scores=scores, masks=masks, rankings=rankings)


def _check_values(
    task: str,
    ordered: list[tuple[int, dict[str, Any]]],
    path: Path,
    errors: Collector,
    required: set[str],
) -> tuple[NDArray[np.float64] | None, list[Path] | None, list[list[str]] | None]:
    scores = masks = rankings = None
    if task in ("detection", "localization"):
        scores = _scores(ordered, errors, required="score" in required)
    if task in ("localization", "video_localization"):
        masks = _masks(ordered, path.parent, errors)
    if task == "retrieval":
        rankings = _rankings(ordered, errors)
    return scores, masks, rankings


def _scores(
    ordered: list[tuple[int, dict[str, Any]]], errors: Collector, *, required: bool
) -> NDArray[np.float64]:
    scores = np.full(len(ordered), np.nan)
    for i, (number, row) in enumerate(ordered):
        if "score" not in row and not required:
            continue  # localization: the image score then comes from the mask
        value = _score(row.get("score"))
        if value is None:
            errors.add("bad_score", number, repr(row.get("score")))
        else:
            scores[i] = value
    return scores


def _masks(ordered: list[tuple[int, dict[str, Any]]], base: Path, errors: Collector) -> list[Path]:
    masks: list[Path] = []
    for number, row in ordered:
        raw = row.get("mask")
        rel = safe_relative(raw)
        if rel is None:
            errors.add("path_escape", number, f"{raw!r} is not a relative path inside the folder")
            masks.append(base)
            continue
        link = check_no_symlink(base, rel)
        if link is not None:
            errors.add("symlink", number, f"{link} is a symbolic link")
        target = base / rel
        if not target.is_file():
            errors.add("missing_file", number, f"{rel} does not exist")
        masks.append(target)
    return masks


def _rankings(ordered: list[tuple[int, dict[str, Any]]], errors: Collector) -> list[list[str]]:
    rankings: list[list[str]] = []
    for number, row in ordered:
        ranking = row.get("ranking")
        problem = None
        if not isinstance(ranking, list):
            problem = f"'ranking' must be a list, got {type(ranking).__name__}"
        elif len(ranking) > MAX_RANKING:
            problem = f"{len(ranking)} ids, at most {MAX_RANKING} allowed"
        elif not all(isinstance(item, str) for item in ranking):
            problem = "every gallery id must be a string"
        elif len(set(ranking)) != len(ranking):
            problem = "a gallery id appears twice"
        if problem is not None:
            errors.add("bad_ranking", number, problem)
        rankings.append(list(ranking) if isinstance(ranking, list) and problem is None else [])
    return rankings

"""Localization outputs for the audit tests: each sample's image score and predicted mask.

A rerun's mask is compared with the stored one after binarizing both at ``v >= 128`` (the
protocol's threshold): the fraction of pixels that flipped must stay within the track's
``mask_tolerance``; the image score (the line's ``score``, else ``max(mask) / 255``) within
its ``tolerance``. Masks are read with the evaluator's own checks (8-bit grayscale PNG, no
symbolic links, size-capped), so a rerun cannot make the platform read outside its folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evaluator.validation import DEFAULT_MAX_FILE_BYTES, PredictionError
from evaluator.validation.files import jsonl_objects, open_regular
from evaluator.validation.masks import decode_prediction

THRESHOLD = 128


@dataclass(frozen=True)
class LocalizationOutput:
    score: float | None  # the line's score, else max(mask) / 255
    mask: NDArray[np.bool_] | None  # binarized; None for a null mask
    problem: str = ""  # why the mask could not be read


def _safe(relative: str) -> bool:
    path = Path(relative)
    return not (path.is_absolute() or ".." in path.parts or "\\" in relative)


def _mask(base: Path, relative: str, line: int) -> tuple[NDArray[np.uint8] | None, str]:
    if not _safe(relative):
        return None, f"mask path {relative!r} leaves the output folder"
    try:
        pixels = decode_prediction(
            base / relative, max_bytes=DEFAULT_MAX_FILE_BYTES, expected=None, line=line
        )
    except PredictionError as exc:
        return None, str(exc)
    return pixels, ""


def read_localization_outputs(predictions: Path) -> dict[str, LocalizationOutput]:
    """id -> output for every readable line of a predictions.jsonl (masks beside it)."""
    try:
        stream = open_regular(predictions, error=PredictionError)
    except PredictionError:
        return {}
    outputs: dict[str, LocalizationOutput] = {}
    with stream:
        # Binary lines split on \n only, as the validator read them.
        for number, record in jsonl_objects(stream):
            if not isinstance(record.get("id"), str):
                continue
            if record["id"] in outputs:
                continue
            raw, problem = None, ""
            if isinstance(record.get("mask"), str):
                raw, problem = _mask(predictions.parent, record["mask"], number)
            score = record.get("score")
            if not isinstance(score, int | float) or isinstance(score, bool):
                score = float(raw.max()) / 255.0 if raw is not None and raw.size else None
            outputs[record["id"]] = LocalizationOutput(
                score=None if score is None else float(score),
                mask=None if raw is None else raw >= THRESHOLD,
                problem=problem,
            )
    return outputs


def mask_flipped(before: NDArray[np.bool_] | None, after: NDArray[np.bool_] | None) -> float | None:
    """Fraction of pixels that changed class; None when the shapes differ. A null mask is
    an empty one of the other mask's shape."""
    if before is None and after is None:
        return 0.0
    if before is None:
        assert after is not None
        before = np.zeros_like(after)
    if after is None:
        after = np.zeros_like(before)
    if before.shape != after.shape:
        return None
    return float(np.count_nonzero(before != after)) / max(1, before.size)


def compare_localization(
    back: dict[str, str],
    stored: dict[str, LocalizationOutput],
    rerun: dict[str, LocalizationOutput],
    *,
    tolerance: float,
    mask_tolerance: float,
) -> list[dict[str, Any]]:
    """Samples whose rerun score or mask moved beyond the tolerances (or went missing).

    ``back`` maps each id the rerun saw to the stored id it stands for."""
    moved = []
    for new_id, original in back.items():
        before, after = stored.get(original), rerun.get(new_id)
        why = ""
        delta = flipped = None
        if after is None:
            why = "no output"
        elif after.problem:
            why = f"mask unreadable: {after.problem}"
        elif before is None:
            why = "no stored output"
        else:
            if before.score is not None and after.score is not None:
                delta = abs(after.score - before.score)
            flipped = mask_flipped(before.mask, after.mask)
            if delta is None or delta > tolerance:
                why = "score moved" if delta is not None else "score missing"
            elif flipped is None:
                why = "mask size changed"
            elif flipped > mask_tolerance:
                why = f"mask moved: {flipped:.2%} of pixels flipped"
        if why:
            moved.append(
                {
                    "id": original,
                    "as": new_id if new_id != original else "",
                    "stored": before.score if before else None,
                    "rerun": after.score if after else None,
                    "delta": delta,
                    "mask_flipped": flipped,
                    "why": why,
                }
            )
    return moved

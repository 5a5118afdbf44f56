"""Ground-truth files, one JSON object a line (see docs/protocol.md, "Truth files").

Truth is trusted organizer data, but a malformed file must still stop scoring with a named
:class:`TruthError` rather than a traceback or a silently wrong number. Mask paths are relative to
the truth file's own folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from evaluator.metrics.registry import TASKS
from evaluator.validation.errors import TruthError
from evaluator.validation.files import DEFAULT_MAX_FILE_BYTES, Collector, read_jsonl, safe_relative

# Masks and images may declare their size so that predictions for images without a ground-truth
# mask (authentic images, empty frames) can still be checked for the right width x height.
Size = tuple[int, int] | None


@dataclass(frozen=True)
class DetectionTruth:
    ids: list[str]
    labels: np.ndarray  # int8, 0 authentic / 1 fake
    videos: list[str] | None  # frame tracks: the video of each frame


@dataclass(frozen=True)
class LocalizationTruth:
    ids: list[str]
    labels: np.ndarray
    masks: list[Path | None]
    sizes: list[Size]


@dataclass(frozen=True)
class RetrievalTruth:
    ids: list[str]
    relevant: list[frozenset[str]]


@dataclass(frozen=True)
class VideoLocalizationTruth:
    ids: list[str]
    videos: list[str]
    frames: list[int]
    masks: list[Path | None]
    sizes: list[Size]


Truth = DetectionTruth | LocalizationTruth | RetrievalTruth | VideoLocalizationTruth


def load_truth(task: str, path: Path, *, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Truth:
    """Parse and check a truth file for ``task``; raise :class:`TruthError` on any problem."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    rows = read_jsonl(path, max_bytes=max_file_bytes, error=TruthError, allow_symlink=True)
    errors = Collector(TruthError)
    ids: list[str] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        ident = row.get("id")
        if not isinstance(ident, str) or not ident:
            errors.add("bad_line", number, "'id' must be a non-empty string")
            ident = f"<line {number}>"
        elif ident in seen:
            errors.add("duplicate_id", number, f"{ident!r} first seen on line {seen[ident]}")
        seen.setdefault(ident, number)
        ids.append(ident)
    builders: dict[str, Callable[..., Truth]] = {
        "detection": _detection,
        "localization": _localization,
        "retrieval": _retrieval,
        "video_localization": _video_localization,
    }
    truth = builders[task](ids, rows, path.parent, errors)
    errors.raise_if_any()
    return truth


def _label(row: dict[str, Any], number: int, errors: Collector) -> int:
    label = row.get("label")
    if type(label) is not int or label not in (0, 1):
        errors.add("bad_line", number, f"'label' must be 0 or 1, got {label!r}")
        return 0
    return label


def _size(row: dict[str, Any], number: int, errors: Collector) -> Size:
    width, height = row.get("width"), row.get("height")
    if width is None and height is None:
        return None
    if type(width) is not int or type(height) is not int or width <= 0 or height <= 0:
        errors.add("bad_line", number, "'width' and 'height' must be positive integers")
        return None
    return (width, height)


def _mask(row: dict[str, Any], number: int, base: Path, errors: Collector) -> Path | None:
    raw = row.get("mask")
    if raw is None:
        return None
    rel = safe_relative(raw)
    if rel is None:
        errors.add("bad_line", number, f"'mask' must be a relative path or null, got {raw!r}")
        return None
    return base / rel


def _detection(
    ids: list[str], rows: list[tuple[int, dict[str, Any]]], base: Path, errors: Collector
) -> DetectionTruth:
    labels = np.array([_label(row, number, errors) for number, row in rows], dtype=np.int8)
    with_video = ["video" in row for _, row in rows]
    videos: list[str] | None = None
    if any(with_video):
        videos = []
        video_label: dict[str, tuple[int, int]] = {}
        for (number, row), label in zip(rows, labels.tolist(), strict=True):
            video = row.get("video")
            if not isinstance(video, str) or not video:
                errors.add("bad_line", number, "'video' must be a non-empty string on every line")
                video = ""
            first = video_label.setdefault(video, (label, number))
            if first[0] != label:
                detail = f"video {video!r} has label {label} here and {first[0]} on line {first[1]}"
                errors.add("inconsistent_video", number, detail)
            videos.append(video)
    if labels.size and labels.min() == labels.max():
        errors.add("single_class", None, f"every label is {int(labels[0])}; detection needs both")
    return DetectionTruth(ids=ids, labels=labels, videos=videos)


def _localization(
    ids: list[str], rows: list[tuple[int, dict[str, Any]]], base: Path, errors: Collector
) -> LocalizationTruth:
    labels = np.array([_label(row, number, errors) for number, row in rows], dtype=np.int8)
    masks = [_mask(row, number, base, errors) for number, row in rows]
    for (number, _), label, mask in zip(rows, labels.tolist(), masks, strict=True):
        if label == 1 and mask is None:
            errors.add("bad_line", number, "a manipulated image (label 1) needs a mask")
    if labels.size and not labels.any():
        errors.add("single_class", None, "no manipulated image: pixel metrics are undefined")
    sizes = [_size(row, number, errors) for number, row in rows]
    return LocalizationTruth(ids=ids, labels=labels, masks=masks, sizes=sizes)


def _retrieval(
    ids: list[str], rows: list[tuple[int, dict[str, Any]]], base: Path, errors: Collector
) -> RetrievalTruth:
    relevant: list[frozenset[str]] = []
    for number, row in rows:
        items = row.get("relevant")
        if (
            not isinstance(items, list)
            or not items
            or not all(isinstance(item, str) and item for item in items)
        ):
            errors.add("bad_line", number, "'relevant' must be a non-empty list of gallery ids")
            items = []
        relevant.append(frozenset(items))
    return RetrievalTruth(ids=ids, relevant=relevant)


def _video_localization(
    ids: list[str], rows: list[tuple[int, dict[str, Any]]], base: Path, errors: Collector
) -> VideoLocalizationTruth:
    videos: list[str] = []
    frames: list[int] = []
    seen: dict[tuple[str, int], int] = {}
    for number, row in rows:
        video, frame = row.get("video"), row.get("frame")
        if not isinstance(video, str) or not video:
            errors.add("bad_line", number, "'video' must be a non-empty string")
            video = ""
        if type(frame) is not int or frame < 0:
            errors.add("bad_line", number, "'frame' must be a non-negative integer")
            frame = -1
        elif (video, frame) in seen:
            detail = f"frame {frame} of video {video!r} also on line {seen[(video, frame)]}"
            errors.add("inconsistent_video", number, detail)
        seen.setdefault((video, frame), number)
        videos.append(video)
        frames.append(frame)
    masks = [_mask(row, number, base, errors) for number, row in rows]
    sizes = [_size(row, number, errors) for number, row in rows]
    return VideoLocalizationTruth(ids=ids, videos=videos, frames=frames, masks=masks, sizes=sizes)

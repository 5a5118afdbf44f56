"""What every importer shares: problem collection, neutral ids, and the sealed split writer.

Django-free. An importer turns an organizer's copy of a dataset into a list of *entries* (one
per image, video or query, with its label and the files it comes from) and reports every problem
it found; :func:`write_split` then writes the inputs folder containers see (``task.json``,
``manifest.jsonl`` and files under neutral names) and the labels folder kept apart
(``truth.jsonl``, masks, ``provenance.jsonl`` mapping ids back to source files, ``import.json``).
Ids are keyed hashes of the source path, so they say nothing about the label; files are sorted
by id and written with fixed encoder settings, so the same copy gives the same bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from benchmarks.shortcuts import scan_split
from evaluator.splitformat import (
    ID_HEX,
    MANIFEST_FILE,
    PROVENANCE_FILE,
    TRUTH_FILE,
    jsonl_text,
    require_fresh,
    save_mask,
    save_png,
    task_body,
    write_task,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}


class ImportProblems(ValueError):
    """Everything wrong with a copy, not just the first thing; ``problems`` lists them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:200]
        more = f"\n... and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"{len(problems)} problem(s):\n" + "\n".join(shown) + more)


class Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, message: str) -> None:
        self.items.append(message)

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportProblems(self.items)


@dataclass
class Entry:
    """One unit of the split. ``key`` is its path in the copy: the id is derived from it."""

    key: str
    source: Path | None = None  # the image or video file
    label: int | None = None  # detection / localization
    mask: Path | None = None  # localization: the dataset's mask file
    frames: list[tuple[Path, Path | None]] = field(default_factory=list)  # video localization
    role: str | None = None  # retrieval
    relevant: list[str] = field(default_factory=list)  # retrieval: keys of gallery entries
    extra: dict[str, Any] = field(default_factory=dict)  # provenance (labels side only)


def neutral_id(id_key: str, key: str) -> str:
    return hmac.new(id_key.encode(), key.encode(), hashlib.sha256).hexdigest()[:ID_HEX]


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty, non-comment lines with their 1-based numbers."""
    out = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if line and not line.startswith("#"):
            out.append((number, line))
    return out


def check_classes(entries: list[Entry], problems: Problems, what: str) -> None:
    labels = {e.label for e in entries}
    if not entries:
        problems.add(f"{what}: no samples found")
    elif len(labels) < 2:
        problems.add(f"{what}: every sample has label {labels.pop()}; detection needs both classes")


def progress[T](items: list[T], description: str, quiet: bool) -> Iterator[T]:
    """A rich progress bar over ``items`` (quiet, or output that is not a terminal: none)."""
    if quiet:
        yield from items
        return
    from rich.progress import track  # the progress bar only when someone watches

    yield from track(items, description=description, total=len(items), transient=True)


def image_size(path: Path) -> tuple[int, int] | None:
    try:
        with Image.open(path) as img:
            return img.size
    except (OSError, ValueError):
        return None


def binary_mask(path: Path, rule: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The dataset's mask as bool, by its own rule (e.g. inverted for NIST, green for Columbia)."""
    with Image.open(path) as img:
        pixels = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return np.asarray(rule(pixels), dtype=bool)


def white_is_manipulated(pixels: np.ndarray) -> np.ndarray:
    return pixels.max(axis=2) >= 128


@dataclass
class SplitSpec:
    """What to write: the task, entries and how videos become samples."""

    task: str
    track: str
    entries: list[Entry]
    record: dict[str, Any]  # importer, options, source split: written to import.json
    mode: str = "image"  # detection: image | frames | video
    frames: int = 32
    face_crop: bool = False
    mask_rule: Callable[[np.ndarray], np.ndarray] = white_is_manipulated


def write_split(
    spec: SplitSpec,
    inputs_dir: Path,
    labels_dir: Path,
    *,
    id_key: str,
    quiet: bool = True,
    problems: Problems | None = None,
) -> dict[str, Any]:
    """Write inputs and labels into fresh folders; raise ImportProblems listing every problem.

    On a problem nothing is left behind: both folders are removed again. ``problems`` already
    found (while planning) are raised together with those found while writing.
    """
    if not id_key:
        raise ValueError("an empty id key makes ids computable from the source paths")
    require_fresh(inputs_dir, labels_dir)
    inputs_dir.mkdir(parents=True, exist_ok=True)
    labels_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _write(spec, inputs_dir, labels_dir, id_key=id_key, quiet=quiet, problems=problems)
    except BaseException:
        shutil.rmtree(inputs_dir, ignore_errors=True)
        shutil.rmtree(labels_dir, ignore_errors=True)
        raise


def _write(
    spec: SplitSpec,
    inputs_dir: Path,
    labels_dir: Path,
    *,
    id_key: str,
    quiet: bool,
    problems: Problems | None,
) -> dict[str, Any]:
    from . import frame_sampling  # PyAV and OpenCV are only needed for video datasets

    # Problems found while planning are reported together with those found while writing
    # (unreadable files, masks of the wrong size): one pass shows the organizer everything.
    problems = problems or Problems()
    ids = {e.key: neutral_id(id_key, e.key) for e in spec.entries}
    if len(set(ids.values())) != len(ids):
        problems.add("two source files map to one id; use another --id-key")
    manifest: list[dict[str, Any]] = []
    truth: list[dict[str, Any]] = []
    provenance: list[dict[str, Any]] = []
    crop_counts: dict[str, int] = {}
    entries = sorted(spec.entries, key=lambda e: ids[e.key])
    for entry in progress(entries, f"importing {spec.track}", quiet):
        ident = ids[entry.key]
        origin: dict[str, Any] = {"id": ident, "source": entry.key, **entry.extra}
        provenance.append(origin)
        source = entry.source
        if spec.task == "detection" and spec.mode in ("frames", "video"):
            assert source is not None
            if spec.mode == "video":
                path = f"videos/{ident}.mp4"
                (inputs_dir / "videos").mkdir(exist_ok=True)
                shutil.copyfile(source, inputs_dir / path)
                manifest.append({"id": ident, "path": path})
                truth.append({"id": ident, "label": entry.label})
                continue
            try:
                frames = frame_sampling.sample_frames(source, spec.frames)
            except frame_sampling.VideoError as exc:
                problems.add(f"{entry.key}: {exc}")
                continue
            # Sampled frames are named by their order (0 .. k-1): the source frame numbers
            # would give away the video's length, which differs between real and fake videos
            # in several public sets. They stay in the sealed provenance only.
            origin["source_frames"] = [index for index, _ in frames]
            if spec.face_crop:
                # Each box and where it came from stays with the labels, for audits.
                crops = frame_sampling.face_crops(frames)
                origin["face_crops"] = []
                for n, ((index, pixels), crop) in enumerate(zip(frames, crops, strict=True)):
                    frames[n] = (index, frame_sampling.cut(pixels, crop.box))
                    origin["face_crops"].append(
                        {"frame": n, "box": list(crop.box), "from": crop.origin}
                    )
                    crop_counts[crop.origin] = crop_counts.get(crop.origin, 0) + 1
            folder = inputs_dir / "frames" / ident
            folder.mkdir(parents=True)
            for order, (_index, pixels) in enumerate(frames):
                path = f"frames/{ident}/{order:04d}.png"
                save_png(pixels, inputs_dir / path)
                frame_id = f"{ident}-{order:04d}"
                manifest.append({"id": frame_id, "path": path, "video": ident})
                truth.append({"id": frame_id, "label": entry.label, "video": ident})
            continue
        if spec.task == "video_localization":
            _write_video_frames(
                spec, entry, ident, inputs_dir, labels_dir, manifest, truth, problems
            )
            continue
        assert source is not None
        path = f"images/{ident}{source.suffix.lower()}"
        (inputs_dir / "images").mkdir(exist_ok=True)
        # Original bytes: re-encoding would erase the compression traces forensics look at.
        shutil.copyfile(source, inputs_dir / path)
        row: dict[str, Any] = {"id": ident, "path": path}
        if spec.task == "retrieval":
            row["role"] = entry.role
            if entry.role == "query":
                truth.append({"id": ident, "relevant": sorted(ids[k] for k in entry.relevant)})
        elif spec.task == "localization":
            truth.append(_localization_truth(spec, entry, ident, labels_dir, problems))
        else:
            truth.append({"id": ident, "label": entry.label})
        manifest.append(row)
    problems.raise_if_any()
    write_task(inputs_dir, task_body(spec.task, spec.track))
    manifest_text = jsonl_text(sorted(manifest, key=lambda r: r["id"]))
    truth_text = jsonl_text(sorted(truth, key=lambda r: r["id"]))
    (inputs_dir / MANIFEST_FILE).write_text(manifest_text, encoding="utf-8")
    (labels_dir / TRUTH_FILE).write_text(truth_text, encoding="utf-8")
    (labels_dir / PROVENANCE_FILE).write_text(jsonl_text(provenance), encoding="utf-8")
    labels: list[int] = [int(r["label"]) for r in truth if r.get("label") is not None]
    record = {
        **spec.record,
        "task": spec.task,
        "mode": spec.mode,
        "samples": len(manifest),
        "units": len(spec.entries),
        "classes": {str(v): labels.count(v) for v in sorted(set(labels))},
        "manifest_sha256": hashlib.sha256(manifest_text.encode()).hexdigest(),
        "truth_sha256": hashlib.sha256(truth_text.encode()).hexdigest(),
    }
    if spec.task == "detection" and spec.mode == "frames":
        record.update(
            {
                "frames_per_video": spec.frames,
                "face_crop": frame_sampling.face_crop_record(spec.face_crop, crop_counts),
            }
        )
    # What trivial file and name properties say about the labels (flags in import.json).
    record["shortcut_scan"] = scan_split(inputs_dir, labels_dir / TRUTH_FILE)
    (labels_dir / "import.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def _localization_truth(
    spec: SplitSpec, entry: Entry, ident: str, labels_dir: Path, problems: Problems
) -> dict[str, Any]:
    assert entry.source is not None
    size = image_size(entry.source)
    if size is None:
        problems.add(f"{entry.key}: cannot be read as an image")
        size = (1, 1)
    row: dict[str, Any] = {"id": ident, "label": entry.label, "mask": None}
    row.update({"width": size[0], "height": size[1]})
    if entry.mask is None:
        return row
    try:
        mask = binary_mask(entry.mask, spec.mask_rule)
    except (OSError, ValueError):
        problems.add(f"{entry.key}: its mask {entry.mask.name} cannot be read")
        return row
    if (mask.shape[1], mask.shape[0]) != size:
        problems.add(
            f"{entry.key}: mask {entry.mask.name} is {mask.shape[1]}x{mask.shape[0]}, "
            f"the image is {size[0]}x{size[1]}"
        )
        return row
    (labels_dir / "masks").mkdir(exist_ok=True)
    save_mask(mask, labels_dir / "masks" / f"{ident}.png")
    row["mask"] = f"masks/{ident}.png"
    return row


def _write_video_frames(
    spec: SplitSpec,
    entry: Entry,
    ident: str,
    inputs_dir: Path,
    labels_dir: Path,
    manifest: list[dict[str, Any]],
    truth: list[dict[str, Any]],
    problems: Problems,
) -> None:
    (inputs_dir / "frames" / ident).mkdir(parents=True)
    (labels_dir / "masks").mkdir(exist_ok=True)
    for index, (frame, mask_path) in enumerate(entry.frames):
        path = f"frames/{ident}/{index:04d}{frame.suffix.lower()}"
        shutil.copyfile(frame, inputs_dir / path)
        frame_id = f"{ident}-{index:04d}"
        size = image_size(frame) or (1, 1)
        row: dict[str, Any] = {"id": frame_id, "video": ident, "frame": index, "mask": None}
        row.update({"width": size[0], "height": size[1]})
        if mask_path is not None:
            mask = binary_mask(mask_path, spec.mask_rule)
            if (mask.shape[1], mask.shape[0]) != size:
                problems.add(
                    f"{entry.key}: frame {frame.name} is {size[0]}x{size[1]}, its annotation "
                    f"{mask_path.name} is {mask.shape[1]}x{mask.shape[0]}"
                )
                continue
            save_mask(mask, labels_dir / "masks" / f"{frame_id}.png")
            row["mask"] = f"masks/{frame_id}.png"
        manifest.append({"id": frame_id, "path": path, "video": ident, "frame": index})
        truth.append(row)


def images_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)

"""Perturbed copies of a split for robustness tracks (protocol §6), seeded and recorded.

Django-free. ``perturb_split`` reads a sealed split (inputs + truth), optionally keeps a
class-balanced sample of it, gives every sample a fresh opaque id (so a perturbed copy cannot be
joined to its clean split by id) and writes the perturbed files, the re-keyed truth, the id
mapping (labels side only) and ``perturbation.json`` recording exactly what was done.

- ``jpeg``: real JPEG at quality q (Pillow/libjpeg, 4:2:0 chroma), written as ``.jpg``;
- ``noise``: additive Gaussian noise, sigma on the 0-255 scale, rounded and clipped;
- ``blur``: Gaussian blur with OpenCV, kernel 2*ceil(3 sigma)+1, reflected borders;
- ``resize``: down by the factor (area), then back up to the original size (bicubic);
- ``h264``: videos re-encoded with libx264 at the given CRF (PyAV), one thread, yuv420p.
- ``none``: the clean copy (same sample, same fresh ids scheme, bytes unchanged).
"""

from __future__ import annotations

import hmac
import io
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from evaluator.splitformat import (
    ID_HEX,
    MANIFEST_FILE,
    PROVENANCE_FILE,
    TRUTH_FILE,
    file_sha256,
    json_line,
    png_bytes,
    read_jsonl,
    read_task,
    require_fresh,
    write_task,
)

# protocol §6: the perturbations and the levels a robustness track may use (benchmarks.spec
# checks definitions against this table). CLEAN is the unperturbed copy every such track gets.
PERTURBATIONS: dict[str, tuple[float, ...]] = {
    "jpeg": (90, 70, 50, 30),
    "noise": (2, 5, 10, 20),
    "blur": (0.5, 1, 2, 3),
    "resize": (0.75, 0.5, 0.25),
    "h264": (23, 30, 40),
}
CLEAN = "none"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv"}


class PerturbError(ValueError):
    """The split cannot be perturbed as asked (wrong kind of file, unknown level, ...)."""


def level_slug(kind: str, level: float | None) -> str:
    """Split name of a level: clean, jpeg-q90, noise-s2, blur-s0_5, resize-x0_75, h264-crf23."""
    if kind == "none" or level is None:
        return "clean"
    prefix = {"jpeg": "q", "noise": "s", "blur": "s", "resize": "x", "h264": "crf"}[kind]
    return f"{kind}-{prefix}{f'{level:g}'.replace('.', '_')}"


def _key(seed: int, *parts: object) -> bytes:
    return hmac.new(
        f"forgerybench/perturb/seed={seed}".encode(), "/".join(map(str, parts)).encode(), "sha256"
    ).digest()


def _new_id(seed: int, kind: str, level: float | None, old: str) -> str:
    return _key(seed, kind, level, "id", old).hex()[:ID_HEX]


def _rng(seed: int, kind: str, level: float | None, old: str) -> np.random.Generator:
    return np.random.default_rng(list(_key(seed, kind, level, "rng", old)))


def _read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def perturb_image(
    pixels: np.ndarray, kind: str, level: float, rng: np.random.Generator
) -> tuple[bytes, str]:
    """Perturbed image file bytes and their suffix."""
    if kind == "jpeg":
        out = io.BytesIO()
        Image.fromarray(pixels, mode="RGB").save(
            out, format="JPEG", quality=int(level), subsampling="4:2:0", optimize=False
        )
        return out.getvalue(), ".jpg"
    if kind == "noise":
        noisy = pixels.astype(np.float64) + rng.normal(0.0, level, size=pixels.shape)
        return png_bytes(np.clip(np.rint(noisy), 0, 255).astype(np.uint8)), ".png"
    if kind == "blur":
        import cv2  # OpenCV: only the blur perturbation needs it (a heavy optional library)

        size = 2 * math.ceil(3 * level) + 1
        blurred = cv2.GaussianBlur(pixels, (size, size), sigmaX=level, sigmaY=level)
        return png_bytes(np.asarray(blurred, dtype=np.uint8)), ".png"
    if kind == "resize":
        h, w = pixels.shape[:2]
        small = (max(1, round(w * level)), max(1, round(h * level)))
        img = Image.fromarray(pixels, mode="RGB").resize(small, Image.Resampling.BOX)
        up = img.resize((w, h), Image.Resampling.BICUBIC)
        return png_bytes(np.asarray(up, dtype=np.uint8)), ".png"
    raise PerturbError(f"{kind!r} does not apply to images")


def perturb_video(source: Path, target: Path, crf: float) -> None:
    """Re-encode a video with libx264 at ``crf`` (video stream only, same size and rate)."""
    import av  # PyAV: only video perturbations need it (a heavy optional library)

    with av.open(str(source)) as src, av.open(str(target), "w", format="mp4") as dst:
        stream_in = src.streams.video[0]
        rate = stream_in.average_rate or 25
        out = dst.add_stream("libx264", rate=rate)
        out.width, out.height = stream_in.codec_context.width, stream_in.codec_context.height
        out.pix_fmt = "yuv420p"
        out.options = {"crf": f"{crf:g}", "preset": "medium"}
        out.codec_context.thread_count = 1  # one thread: the same bytes on every machine
        dst.metadata["encoder"] = "forgerybench"
        for frame in src.decode(stream_in):
            frame.pts = None
            for packet in out.encode(frame.reformat(format="yuv420p")):
                dst.mux(packet)
        for packet in out.encode():
            dst.mux(packet)


def _sample_units(
    truth: list[dict[str, Any]], sample: int | None, order: Callable[[str], str]
) -> set[str] | None:
    """Units (videos where rows have one, else ids) kept; class-balanced when rows are labelled."""
    if sample is None:
        return None
    units: dict[str, int] = {}
    for row in truth:
        units.setdefault(row.get("video", row["id"]), int(row.get("label", 0)))
    ranked = sorted(units, key=order)
    by_label = {lab: [u for u in ranked if units[u] == lab] for lab in sorted(set(units.values()))}
    share = max(1, sample // len(by_label))
    return {u for group in by_label.values() for u in group[:share]}


def perturb_split(
    *,
    task: str,
    inputs_dir: Path,
    labels_path: Path,
    out_inputs: Path,
    out_labels: Path,
    kind: str,
    level: float | None,
    seed: int,
    track: str,
    sample: int | None = None,
) -> dict[str, Any]:
    """Write the perturbed copy; returns the record also written to ``perturbation.json``."""
    if kind != CLEAN and kind not in PERTURBATIONS:
        known = ", ".join((CLEAN, *PERTURBATIONS))
        raise PerturbError(f"unknown perturbation {kind!r}; expected one of {known}")
    require_fresh(out_inputs, out_labels)
    manifest = read_jsonl(inputs_dir / MANIFEST_FILE)
    truth = read_jsonl(labels_path)
    if task == "retrieval":
        sample = None  # queries and their gallery stay together
    kept = _sample_units(truth, sample, lambda u: _new_id(seed, "sample", None, u))

    def keep(row: dict[str, Any]) -> bool:
        return kept is None or row.get("video", row["id"]) in kept

    def new(old: str) -> str:
        return _new_id(seed, kind, level, old)

    out_inputs.mkdir(parents=True, exist_ok=True)
    out_labels.mkdir(parents=True, exist_ok=True)
    truth = [row for row in truth if keep(row)]
    wanted = {row["id"] for row in truth}
    if task == "retrieval":
        wanted |= {g for row in truth for g in row["relevant"]}
        wanted |= {row["id"] for row in manifest if row.get("role") == "gallery"}
    rows = [row for row in manifest if row["id"] in wanted]
    mapping: dict[str, str] = {}
    for row in rows:
        old_id = row["id"]
        source = inputs_dir / row["path"]
        suffix = source.suffix.lower()
        if kind == "none":
            data, out_suffix = source.read_bytes(), suffix
        elif suffix in VIDEO_SUFFIXES:
            if kind != "h264":
                raise PerturbError(f"{row['path']}: {kind!r} applies to images; videos take h264")
            data, out_suffix = b"", ".mp4"
        elif suffix in IMAGE_SUFFIXES:
            if kind == "h264":
                raise PerturbError(f"{row['path']}: h264 applies to videos, not images")
            data, out_suffix = perturb_image(
                _read_rgb(source), kind, float(level or 0), _rng(seed, kind, level, old_id)
            )
        else:
            raise PerturbError(f"{row['path']}: unknown file type {suffix!r}")
        new_id = new(old_id)
        mapping[new_id] = old_id
        subdir = "videos" if out_suffix in VIDEO_SUFFIXES else "images"
        rel: str
        if "video" in row and "frame" in row:  # frames of a video keep their grouping
            rel = f"frames/{new(row['video'])}/{row['frame']:04d}{out_suffix}"
        elif "video" in row:
            rel = f"frames/{new(row['video'])}/{new_id}{out_suffix}"
        else:
            rel = f"{subdir}/{new_id}{out_suffix}"
        target = out_inputs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if data or kind == "none":
            target.write_bytes(data)
        else:
            perturb_video(source, target, float(level or 0))
        new_row = {**row, "id": new_id, "path": rel}
        if "video" in row:
            new_row["video"] = new(row["video"])
        row.clear()
        row.update(new_row)
    truth_out = []
    for row in truth:
        new_row = {**row, "id": new(row["id"])}
        if "video" in row:
            new_row["video"] = new(row["video"])
        if "relevant" in row:
            new_row["relevant"] = sorted(new(g) for g in row["relevant"])
        if row.get("mask"):
            (out_labels / "masks").mkdir(exist_ok=True)
            mask_path = f"masks/{new_row['id']}.png"
            shutil.copyfile(labels_path.parent / row["mask"], out_labels / mask_path)
            new_row["mask"] = mask_path
        truth_out.append(new_row)
    write_task(out_inputs, {**read_task(inputs_dir), "track": track})
    manifest_text = "".join(json_line(r) for r in sorted(rows, key=lambda r: r["id"]))
    truth_text = "".join(json_line(r) for r in sorted(truth_out, key=lambda r: r["id"]))
    (out_inputs / MANIFEST_FILE).write_text(manifest_text, encoding="utf-8")
    (out_labels / TRUTH_FILE).write_text(truth_text, encoding="utf-8")
    (out_labels / PROVENANCE_FILE).write_text(
        "".join(json_line({"id": k, "source_id": mapping[k]}) for k in sorted(mapping)),
        encoding="utf-8",
    )
    record = {
        "perturbation": kind,
        "level": level,
        "seed": seed,
        "sample": sample,
        "samples": len(rows),
        "source_manifest_sha256": file_sha256(inputs_dir / MANIFEST_FILE),
        "implementation": {
            "jpeg": "Pillow JPEG, quality=level, 4:2:0",
            "noise": "N(0, level) per pixel and channel, rounded, clipped to 0..255",
            "blur": "cv2.GaussianBlur, sigma=level, kernel 2*ceil(3*sigma)+1",
            "resize": "Pillow BOX down by level, BICUBIC back up",
            "h264": "PyAV libx264 crf=level preset=medium yuv420p threads=1",
            "none": "unchanged bytes",
        }[kind],
    }
    (out_labels / "perturbation.json").write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    return record

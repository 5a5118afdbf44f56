"""Smoke-VideoInpaint: short frame sequences with a moving inpainted region and per-frame masks.

A video is a slow pan of a crop window across one photo cell (so frames differ as in a moving
camera); in three videos of four a region moves along a straight path and is removed frame by
frame with OpenCV's inpainting, and its per-frame ground-truth mask is that region. The
remaining videos are untouched (every frame's mask is empty). Containers see
``frames/<video>/<k>.png``; masks and provenance stay in the labels folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from evaluator import splitformat

from . import common, forge

FRAMES = 8
AUTHENTIC_SHARE = 4
MIN_SIDE, MAX_SIDE = 20, 40


def _frame_box(start: list[int], end: list[int], w: int, h: int, k: int) -> list[int]:
    t = k / (FRAMES - 1)
    x0 = round(start[0] + (end[0] - start[0]) * t)
    y0 = round(start[1] + (end[1] - start[1]) * t)
    return [x0, y0, x0 + w, y0 + h]


def build_video_inpaint_split(
    *, inputs_dir: Path, labels_dir: Path, split: str, count: int, seed: int, track: str
) -> dict[str, Any]:
    """``count`` videos of FRAMES frames each; same arguments give byte-identical files."""
    import cv2  # OpenCV: only the video smoke sets need it (a heavy optional library)

    if count < 2:
        raise ValueError("count must be at least 2 videos")
    inputs_dir, labels_dir = Path(inputs_dir), Path(labels_dir)
    _, cells, code, order_rng = common.split_draw(
        inputs_dir=inputs_dir, labels_dir=labels_dir, split=split, seed=seed
    )
    authentic = max(1, count // AUTHENTIC_SHARE)
    labels = order_rng.permutation(np.repeat([0, 1], [authentic, count - authentic]))
    videos = common.unique_ids(seed, track, split, count, what="video")
    (inputs_dir / "frames").mkdir(parents=True)
    (labels_dir / "masks").mkdir(parents=True)
    manifest_rows: list[dict[str, Any]] = []
    truth_rows: list[dict[str, Any]] = []
    provenance: list[dict[str, Any]] = []
    span = forge.CELL - forge.SIZE
    for index, (video, label) in enumerate(zip(videos, labels.tolist(), strict=True)):
        rng = np.random.default_rng([seed, code, index])
        cell = cells[int(rng.integers(len(cells)))]
        pan_from = [int(v) for v in rng.integers(0, span + 1, size=2)]
        pan_to = [int(v) for v in rng.integers(0, span + 1, size=2)]
        w, h = (int(v) for v in rng.integers(MIN_SIDE, MAX_SIDE + 1, size=2))
        start = [int(rng.integers(4, forge.SIZE - w - 4)), int(rng.integers(4, forge.SIZE - h - 4))]
        end = [int(rng.integers(4, forge.SIZE - w - 4)), int(rng.integers(4, forge.SIZE - h - 4))]
        shape = "ellipse" if rng.random() < 0.5 else "rectangle"
        method = "telea" if rng.random() < 0.5 else "ns"
        record: dict[str, Any] = {"video": video, "label": label, "source": cell.photo.name}
        if label:
            record.update({"start": start, "end": end, "size": [w, h], "shape": shape})
            record.update({"method": method})
        (inputs_dir / "frames" / video).mkdir()
        for k in range(FRAMES):
            t = k / (FRAMES - 1)
            x = cell.x + round(pan_from[0] + (pan_to[0] - pan_from[0]) * t)
            y = cell.y + round(pan_from[1] + (pan_to[1] - pan_from[1]) * t)
            frame = np.ascontiguousarray(cell.photo.pixels[y : y + forge.SIZE, x : x + forge.SIZE])
            ident = f"{video}-{k:03d}"
            row: dict[str, Any] = {"id": ident, "video": video, "frame": k, "mask": None}
            if label:
                box = _frame_box(start, end, w, h, k)
                region = forge.true_mask({"box": box, "shape": shape, "feather": 1.0})
                flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
                frame = cv2.inpaint(frame, region.astype(np.uint8) * 255, 5, flag)
                splitformat.save_mask(region, labels_dir / "masks" / f"{ident}.png")
                row["mask"] = f"masks/{ident}.png"
            path = f"frames/{video}/{k:03d}.png"
            splitformat.save_png(np.asarray(frame, dtype=np.uint8), inputs_dir / path)
            manifest_rows.append({"id": ident, "path": path, "video": video, "frame": k})
            truth_rows.append({**row, "width": forge.SIZE, "height": forge.SIZE})
        provenance.append(record)

    common.write_task(inputs_dir, "video_localization", track)
    order = order_rng.permutation(count)
    manifest = "".join(
        splitformat.json_line(manifest_rows[v * FRAMES + k]) for v in order for k in range(FRAMES)
    )
    truth_text = "".join(
        splitformat.json_line(r) for r in sorted(truth_rows, key=lambda r: r["id"])
    )
    prov = "".join(splitformat.json_line(r) for r in sorted(provenance, key=lambda r: r["video"]))
    (inputs_dir / splitformat.MANIFEST_FILE).write_text(manifest, encoding="utf-8")
    (labels_dir / splitformat.TRUTH_FILE).write_text(truth_text, encoding="utf-8")
    (labels_dir / splitformat.PROVENANCE_FILE).write_text(prov, encoding="utf-8")
    return {
        "track": track,
        "split": split,
        "seed": seed,
        "videos": count,
        "frames": count * FRAMES,
        "classes": {"authentic": authentic, "inpainted": count - authentic},
        "manifest_sha256": common.digest(manifest),
        "truth_sha256": common.digest(truth_text),
    }

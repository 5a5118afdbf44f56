"""Smoke-Retrieve: find the gallery images an object in a query was spliced from.

Each query is a crop of one photo carrying one or two patches cut from gallery images (its
donors) and blended in; the relevant gallery ids of a query are exactly its donors. The gallery
also holds distractor crops from the same photos, so the photo alone does not give the answer.
Queries and gallery images share one id space and one ``images/`` folder; only ``role`` in the
manifest tells them apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from evaluator import splitformat

from . import common, forge

MIN_PATCH, MAX_PATCH = 36, 72  # side of a spliced patch: big enough to be found again


def _splice_from(
    rng: np.random.Generator, host: np.ndarray, donor: np.ndarray, area: list[int]
) -> tuple[np.ndarray, dict[str, Any]]:
    """Blend a square of ``donor`` (a gallery image) into ``host`` inside ``area`` [x0,y0,x1,y1]."""
    room = min(area[2] - area[0], area[3] - area[1]) - 4
    side = int(rng.integers(MIN_PATCH, min(MAX_PATCH, room) + 1))
    sx, sy = (int(v) for v in rng.integers(0, forge.SIZE - side + 1, size=2))
    x0 = int(rng.integers(area[0] + 2, area[2] - side - 2 + 1))
    y0 = int(rng.integers(area[1] + 2, area[3] - side - 2 + 1))
    box = [x0, y0, x0 + side, y0 + side]
    feather = round(float(rng.uniform(1.0, 2.5)), 3)
    weights = forge.blend_weights(box, "rectangle", feather)[..., None]
    layer = host.astype(np.float64)
    layer[box[1] : box[3], box[0] : box[2]] = donor[sy : sy + side, sx : sx + side]
    out = host.astype(np.float64) * (1 - weights) + layer * weights
    pixels = np.asarray(np.clip(np.rint(out), 0, 255), dtype=np.uint8)
    return pixels, {"box": box, "donor_box": [sx, sy, sx + side, sy + side], "feather": feather}


def _areas(rng: np.random.Generator, n: int) -> list[list[int]]:
    """Where each patch may go: the whole image, or two halves so that patches never overlap."""
    full, half = forge.SIZE, forge.SIZE // 2
    if n == 1:
        return [[0, 0, full, full]]
    if rng.random() < 0.5:
        return [[0, 0, half, full], [half, 0, full, full]]
    return [[0, 0, full, half], [0, half, full, full]]


def build_retrieval_split(
    *, inputs_dir: Path, labels_dir: Path, split: str, count: int, seed: int, track: str
) -> dict[str, Any]:
    """``count`` queries; the gallery holds about 1.5 donors per query plus as many distractors."""
    if count < 2:
        raise ValueError("count must be at least 2 queries")
    inputs_dir, labels_dir = Path(inputs_dir), Path(labels_dir)
    _, cells, code, order_rng = common.split_draw(
        inputs_dir=inputs_dir, labels_dir=labels_dir, split=split, seed=seed
    )
    donors_per_query = [1 + int(v) for v in order_rng.integers(0, 2, size=count)]
    n_gallery = 2 * sum(donors_per_query)
    n_total = count + n_gallery
    ids = common.unique_ids(seed, track, split, n_total)
    (inputs_dir / "images").mkdir(parents=True)
    labels_dir.mkdir(parents=True, exist_ok=True)

    # Gallery first: every gallery image is an authentic crop of a randomly chosen cell.
    gallery_ids = ids[count:]
    gallery: dict[str, np.ndarray] = {}
    provenance: dict[str, dict[str, Any]] = {}
    for k, ident in enumerate(gallery_ids):
        rng = np.random.default_rng([seed, code, count + k])
        cell = cells[int(rng.integers(len(cells)))]
        pixels, crop = forge.crop_in_cell(rng, cell, forge.SIZE, forge.SIZE)
        gallery[ident] = np.ascontiguousarray(pixels)
        provenance[ident] = {"role": "gallery", "source": cell.photo.name, "crop": crop}
    # Donors are drawn without replacement; the rest of the gallery are distractors.
    pool = list(order_rng.permutation(len(gallery_ids)))
    truth: dict[str, list[str]] = {}
    for q in range(count):
        rng = np.random.default_rng([seed, code, q])
        ident = ids[q]
        cell = cells[int(rng.integers(len(cells)))]
        host, crop = forge.crop_in_cell(rng, cell, forge.SIZE, forge.SIZE)
        pixels = np.ascontiguousarray(host)
        donors = [gallery_ids[pool.pop()] for _ in range(donors_per_query[q])]
        patches = []
        for donor, area in zip(donors, _areas(rng, len(donors)), strict=True):
            pixels, how = _splice_from(rng, pixels, gallery[donor], area)
            patches.append({"donor": donor, **how})
        truth[ident] = sorted(donors)
        provenance[ident] = {
            "role": "query",
            "source": cell.photo.name,
            "crop": crop,
            "patches": patches,
        }
        splitformat.save_png(pixels, inputs_dir / "images" / f"{ident}.png")
    for ident in pool:
        provenance[gallery_ids[ident]]["distractor"] = True
    for ident, pixels in gallery.items():
        splitformat.save_png(pixels, inputs_dir / "images" / f"{ident}.png")

    common.write_task(inputs_dir, "retrieval", track)
    manifest = "".join(
        splitformat.json_line(
            {
                "id": ids[i],
                "path": f"images/{ids[i]}.png",
                "role": "query" if i < count else "gallery",
            }
        )
        for i in order_rng.permutation(n_total)
    )
    truth_text = "".join(
        splitformat.json_line({"id": q, "relevant": truth[q]}) for q in sorted(truth)
    )
    prov = "".join(splitformat.json_line({"id": i, **provenance[i]}) for i in sorted(ids))
    (inputs_dir / splitformat.MANIFEST_FILE).write_text(manifest, encoding="utf-8")
    (labels_dir / splitformat.TRUTH_FILE).write_text(truth_text, encoding="utf-8")
    (labels_dir / splitformat.PROVENANCE_FILE).write_text(prov, encoding="utf-8")
    return {
        "track": track,
        "split": split,
        "seed": seed,
        "queries": count,
        "gallery": n_gallery,
        "manifest_sha256": common.digest(manifest),
        "truth_sha256": common.digest(truth_text),
    }

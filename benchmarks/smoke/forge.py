"""Crops and the three real image manipulations used by the smoke benchmarks.

Every function takes a ``numpy.random.Generator`` and returns pixels plus a provenance record
(plain JSON types), so a split is fully determined by its seed. Manipulations act on a crop that
already has the output size; the pasted region is blended through a feathered alpha mask, as a
careful manual forgery would be, so that no hard seam gives it away: what remains are the
resampling and noise inconsistencies that forensic detectors look for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .photos import Photo

SIZE = 128  # output images are SIZE x SIZE RGB
CELL = 160  # photos are cut into CELL x CELL cells; a crop stays inside one cell
MIN_BOX, MAX_BOX = 32, 64  # side range of a manipulated region
KINDS = ("splice", "resample", "copymove")

_FILTERS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}

Record = dict[str, Any]


@dataclass(frozen=True)
class Cell:
    """A CELL x CELL square of one photo; ``part`` is 0 or 1 (checkerboard over the grid)."""

    photo: Photo
    x: int
    y: int
    part: int


def photo_cells(photo: Photo) -> list[Cell]:
    """Cut a photo into a centred grid of cells, alternating parts like a checkerboard.

    Val splits draw from part 0 and every other split from part 1, so crops (and splice donors)
    of val and test never share a pixel even though they come from the same photos.
    """
    cols, rows = photo.width // CELL, photo.height // CELL
    x0, y0 = (photo.width - cols * CELL) // 2, (photo.height - rows * CELL) // 2
    return [
        Cell(photo, x0 + c * CELL, y0 + r * CELL, (r + c) % 2)
        for r in range(rows)
        for c in range(cols)
    ]


def crop_in_cell(
    rng: np.random.Generator, cell: Cell, width: int, height: int
) -> tuple[np.ndarray, list[int]]:
    """A random width x height window inside ``cell``; returns pixels and [x, y, w, h]."""
    x = cell.x + int(rng.integers(0, CELL - width + 1))
    y = cell.y + int(rng.integers(0, CELL - height + 1))
    return cell.photo.pixels[y : y + height, x : x + width], [x, y, width, height]


def _resize(pixels: np.ndarray, width: int, height: int, method: str) -> np.ndarray:
    img = Image.fromarray(np.ascontiguousarray(pixels))
    return np.asarray(img.resize((width, height), _FILTERS[method]), dtype=np.uint8)


def _random_box(rng: np.random.Generator) -> list[int]:
    """[x0, y0, x1, y1] of a region fully inside the crop, away from its border."""
    w, h = (int(v) for v in rng.integers(MIN_BOX, MAX_BOX + 1, size=2))
    x0 = int(rng.integers(4, SIZE - w - 4 + 1))
    y0 = int(rng.integers(4, SIZE - h - 4 + 1))
    return [x0, y0, x0 + w, y0 + h]


def _alpha(rng: np.random.Generator, box: list[int]) -> tuple[np.ndarray, Record]:
    """A feathered rectangle or ellipse filling ``box``, as float weights in [0, 1]."""
    shape = "ellipse" if rng.random() < 0.5 else "rectangle"
    feather = round(float(rng.uniform(1.0, 3.0)), 3)
    return blend_weights(box, shape, feather)[..., None], {
        "shape": shape,
        "feather": feather,
    }


def blend_weights(box: list[int], shape: str, feather: float) -> np.ndarray:
    """The (SIZE, SIZE) alpha a manipulation blended with; a pure function of its record."""
    mask = Image.new("L", (SIZE, SIZE), 0)
    inner = [box[0] + 2, box[1] + 2, box[2] - 3, box[3] - 3]  # keep the blur inside the box
    draw = ImageDraw.Draw(mask)
    if shape == "ellipse":
        draw.ellipse(inner, fill=255)
    else:
        draw.rectangle(inner, fill=255)
    weights = np.asarray(mask.filter(ImageFilter.GaussianBlur(radius=feather)), np.float64) / 255
    # The blur's tail is cut at the box, so that the recorded box bounds every changed pixel.
    outside = np.ones((SIZE, SIZE), dtype=bool)
    outside[box[1] : box[3], box[0] : box[2]] = False
    weights[outside] = 0.0
    return weights


def true_mask(record: Record) -> np.ndarray:
    """Ground truth of a manipulation record: True where the blend weight is at least 0.5."""
    return blend_weights(record["box"], record["shape"], record["feather"]) >= 0.5


def _paste(host: np.ndarray, patch: np.ndarray, box: list[int], alpha: np.ndarray) -> np.ndarray:
    """Alpha-blend ``patch`` (box-sized) into ``host`` at ``box``."""
    canvas = host.astype(np.float64)
    layer = canvas.copy()
    layer[box[1] : box[3], box[0] : box[2]] = patch
    out = canvas * (1.0 - alpha) + layer * alpha
    return np.asarray(np.clip(np.rint(out), 0, 255), dtype=np.uint8)


def splice(
    rng: np.random.Generator, host: np.ndarray, donors: list[Cell]
) -> tuple[np.ndarray, Record]:
    """Paste a resampled patch cut from another photo (of the same colour kind)."""
    box = _random_box(rng)
    w, h = box[2] - box[0], box[3] - box[1]
    scale = round(float(rng.uniform(0.6, 1.5)), 3)
    donor = donors[int(rng.integers(len(donors)))]
    src_w, src_h = min(CELL, max(8, round(w * scale))), min(CELL, max(8, round(h * scale)))
    src, region = crop_in_cell(rng, donor, src_w, src_h)
    method = "bicubic" if rng.random() < 0.5 else "bilinear"
    alpha, blend = _alpha(rng, box)
    out = _paste(host, _resize(src, w, h, method), box, alpha)
    return out, {
        "kind": "splice",
        "box": box,
        "donor": donor.photo.name,
        "donor_region": region,
        "scale": scale,
        "resample": method,
        **blend,
    }


def resample(rng: np.random.Generator, host: np.ndarray) -> tuple[np.ndarray, Record]:
    """Down- then up-sample (bilinear) a region of the crop itself and paste it back."""
    box = _random_box(rng)
    w, h = box[2] - box[0], box[3] - box[1]
    factor = round(float(rng.uniform(0.4, 0.75)), 3)
    region = host[box[1] : box[3], box[0] : box[2]]
    small = _resize(region, max(4, round(w * factor)), max(4, round(h * factor)), "bilinear")
    alpha, blend = _alpha(rng, box)
    out = _paste(host, _resize(small, w, h, "bilinear"), box, alpha)
    return out, {"kind": "resample", "box": box, "factor": factor, "resample": "bilinear", **blend}


def copymove(rng: np.random.Generator, host: np.ndarray) -> tuple[np.ndarray, Record]:
    """Copy a region of the crop, rescale it slightly and paste it elsewhere in the crop."""
    box = _random_box(rng)
    w, h = box[2] - box[0], box[3] - box[1]
    # Shrink or enlarge by 30-70 %: an unscaled copy-move keeps the photo's own statistics and
    # is a task for matching methods, not for the resampling cues this smoke track exercises.
    scale = round(float(rng.uniform(1.3, 1.7)), 3)
    if rng.random() < 0.5:
        scale = round(1.0 / scale, 3)
    src_w, src_h = min(SIZE, round(w * scale)), min(SIZE, round(h * scale))
    sx, sy = int(rng.integers(0, SIZE - src_w + 1)), int(rng.integers(0, SIZE - src_h + 1))
    src = host[sy : sy + src_h, sx : sx + src_w]
    method = "bicubic" if rng.random() < 0.5 else "bilinear"
    alpha, blend = _alpha(rng, box)
    out = _paste(host, _resize(src, w, h, method), box, alpha)
    return out, {
        "kind": "copymove",
        "box": box,
        "source_box": [sx, sy, sx + src_w, sy + src_h],
        "scale": scale,
        "resample": method,
        **blend,
    }


def inpaint(rng: np.random.Generator, host: np.ndarray) -> tuple[np.ndarray, Record]:
    """Remove a region and fill it from its surroundings (OpenCV's Telea or Navier-Stokes)."""
    import cv2  # only the localization and video smoke sets need OpenCV

    box = _random_box(rng)
    shape = "ellipse" if rng.random() < 0.5 else "rectangle"
    feather = round(float(rng.uniform(1.0, 3.0)), 3)
    method = "telea" if rng.random() < 0.5 else "ns"
    record: Record = {"kind": "inpaint", "box": box, "shape": shape, "feather": feather}
    region = true_mask(record).astype(np.uint8) * 255
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    out = cv2.inpaint(np.ascontiguousarray(host), region, 5, flag)
    return np.asarray(out, dtype=np.uint8), {**record, "method": method, "radius": 5}

"""Smoke-Detect: a small, deterministic image-forgery detection split built from real photos.

Half of the samples are authentic crops of real photos; the other half are crops of the same
photos carrying a real manipulation (splice from another photo, resampled region, or rescaled
copy-move; see ``forge``). The container sees only opaque ids and neutral file names; labels and
provenance are written to a separate folder that is never mounted into containers.

Organizers::

    python -m benchmarks.smoke.detect --inputs DIR --labels DIR --split val --count 200 --seed 1

Use a different seed for every split; val draws from different photo regions than any other split.

Variant ``shifted`` makes an out-of-distribution split (the OOD tier, protocol §5): its forgeries
are removals filled by OpenCV inpainting, a manipulation no other split holds, and every image,
authentic or not, goes through a JPEG round trip at quality 75, another "camera pipeline" than
the lossless crops of val and test. A detector that learned only splice and resampling cues on
clean pixels should lose ground there, which is what the tier is meant to show.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from evaluator import splitformat

from . import common, forge
from .photos import Photo

VARIANTS = ("shifted",)
SHIFTED_JPEG_QUALITY = 75


def _jpeg_round_trip(pixels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    with Image.open(buffer) as img:
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _make_shifted_sample(
    rng: np.random.Generator, label: int, cells: list[forge.Cell]
) -> tuple[np.ndarray, dict[str, Any]]:
    """The ``shifted`` recipe: inpainted removals, and a JPEG round trip for every image."""
    photos: list[Photo] = list({c.photo.name: c.photo for c in cells}.values())
    photo = photos[int(rng.integers(len(photos)))]
    own = [c for c in cells if c.photo.name == photo.name]
    host, crop = forge.crop_in_cell(rng, own[int(rng.integers(len(own)))], forge.SIZE, forge.SIZE)
    record: dict[str, Any] = {"label": label, "source": photo.name, "crop": crop}
    if label == 0:
        pixels, how = np.ascontiguousarray(host), {"kind": "authentic"}
    else:
        pixels, how = forge.inpaint(rng, host)
    jpeg = {"jpeg_quality": SHIFTED_JPEG_QUALITY}
    return _jpeg_round_trip(pixels, SHIFTED_JPEG_QUALITY), {**record, **how, **jpeg}


def _make_sample(
    rng: np.random.Generator, label: int, cells: list[forge.Cell]
) -> tuple[np.ndarray, dict[str, Any]]:
    photos: list[Photo] = list({c.photo.name: c.photo for c in cells}.values())  # load order
    # Pick the photo first, then a cell: large photos must not dominate the split.
    photo = photos[int(rng.integers(len(photos)))]
    own = [c for c in cells if c.photo.name == photo.name]
    host, crop = forge.crop_in_cell(rng, own[int(rng.integers(len(own)))], forge.SIZE, forge.SIZE)
    record: dict[str, Any] = {"label": label, "source": photo.name, "crop": crop}
    if label == 0:
        return np.ascontiguousarray(host), {**record, "kind": "authentic"}
    kind = forge.KINDS[int(rng.integers(len(forge.KINDS)))]
    donors = [c for c in cells if c.photo.gray == photo.gray and c.photo.name != photo.name]
    if kind == "splice" and donors:
        pixels, how = forge.splice(rng, host, donors)
    elif kind == "copymove":
        pixels, how = forge.copymove(rng, host)
    else:
        pixels, how = forge.resample(rng, host)
    return pixels, {**record, **how}


def build_detection_split(
    *,
    inputs_dir: Path,
    labels_dir: Path,
    split: str,
    count: int,
    seed: int,
    track: str = "smoke-detect",
    variant: str | None = None,
) -> dict[str, Any]:
    """Write one Smoke-Detect split; returns a summary (class counts and file digests).

    Same arguments (and the same installed photo packages) give byte-identical files.
    ``variant="shifted"`` makes the out-of-distribution recipe described above.
    """
    if variant is not None and variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    make = _make_shifted_sample if variant == "shifted" else _make_sample
    if count < 2 or count % 2:
        raise ValueError("count must be an even number >= 2 (classes are exactly balanced)")
    inputs_dir, labels_dir = Path(inputs_dir), Path(labels_dir)
    photos, cells, code, order_rng = common.split_draw(
        inputs_dir=inputs_dir, labels_dir=labels_dir, split=split, seed=seed
    )
    labels = order_rng.permutation(np.repeat([0, 1], count // 2))
    ids = common.unique_ids(seed, track, split, count)

    (inputs_dir / "images").mkdir(parents=True, exist_ok=True)
    labels_dir.mkdir(parents=True, exist_ok=True)
    provenance: dict[str, dict[str, Any]] = {}
    for index, (sample_id, label) in enumerate(zip(ids, labels, strict=True)):
        rng = np.random.default_rng([seed, code, index])
        pixels, record = make(rng, int(label), cells)
        splitformat.save_png(pixels, inputs_dir / "images" / f"{sample_id}.png")
        provenance[sample_id] = record

    common.write_task(inputs_dir, "detection", track)
    manifest = "".join(
        splitformat.json_line({"id": ids[i], "path": f"images/{ids[i]}.png"})
        for i in order_rng.permutation(count)
    )
    truth = splitformat.jsonl_text({"id": i, "label": provenance[i]["label"]} for i in sorted(ids))
    prov = "".join(splitformat.json_line({"id": i, **provenance[i]}) for i in sorted(ids))
    (inputs_dir / splitformat.MANIFEST_FILE).write_text(manifest, encoding="utf-8")
    (labels_dir / splitformat.TRUTH_FILE).write_text(truth, encoding="utf-8")
    (labels_dir / splitformat.PROVENANCE_FILE).write_text(prov, encoding="utf-8")

    return {
        "track": track,
        "split": split,
        "seed": seed,
        "count": count,
        "variant": variant or "",
        "classes": {"authentic": int((labels == 0).sum()), "manipulated": int(labels.sum())},
        "kinds": dict(sorted(Counter(r["kind"] for r in provenance.values()).items())),
        "photos": [p.name for p in photos],
        "manifest_sha256": hashlib.sha256(manifest.encode()).hexdigest(),
        "truth_sha256": hashlib.sha256(truth.encode()).hexdigest(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a Smoke-Detect split (synthetic).")
    parser.add_argument("--inputs", type=Path, required=True, help="folder mounted as /input")
    parser.add_argument("--labels", type=Path, required=True, help="sealed labels folder")
    parser.add_argument("--split", required=True, help="split name, e.g. val or test")
    parser.add_argument("--count", type=int, default=200, help="number of samples (even)")
    parser.add_argument("--seed", type=int, required=True, help="seed; distinct per split")
    parser.add_argument("--track", default="smoke-detect", help="track slug for task.json")
    parser.add_argument("--variant", choices=VARIANTS, help="out-of-distribution recipe")
    args = parser.parse_args(argv)
    summary = build_detection_split(
        inputs_dir=args.inputs,
        labels_dir=args.labels,
        split=args.split,
        count=args.count,
        seed=args.seed,
        track=args.track,
        variant=args.variant,
    )
    json.dump(summary, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

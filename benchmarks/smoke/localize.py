"""Smoke-Localize: real photos with spliced, copy-moved or inpainted regions and their true masks.

A quarter of the images are authentic crops (mask null); the rest carry one manipulation, whose
ground-truth mask is the set of pixels blended with weight >= 0.5 (inpainting: the filled
region). Containers see ``images/<id>.png``; masks and provenance stay in the labels folder.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from evaluator import splitformat

from . import common, forge

KINDS = ("splice", "copymove", "inpaint")
AUTHENTIC_SHARE = 4  # one image in four is authentic


def build_localization_split(
    *, inputs_dir: Path, labels_dir: Path, split: str, count: int, seed: int, track: str
) -> dict[str, Any]:
    """Write one split; the same arguments give byte-identical files."""
    if count < 4:
        raise ValueError("count must be at least 4 (both authentic and manipulated images)")
    inputs_dir, labels_dir = Path(inputs_dir), Path(labels_dir)
    photos, cells, code, order_rng = common.split_draw(
        inputs_dir=inputs_dir, labels_dir=labels_dir, split=split, seed=seed
    )
    authentic = count // AUTHENTIC_SHARE
    labels = order_rng.permutation(np.repeat([0, 1], [authentic, count - authentic]))
    ids = common.unique_ids(seed, track, split, count)

    (inputs_dir / "images").mkdir(parents=True)
    (labels_dir / "masks").mkdir(parents=True)
    truth: dict[str, dict[str, Any]] = {}
    provenance: dict[str, dict[str, Any]] = {}
    for index, (ident, label) in enumerate(zip(ids, labels.tolist(), strict=True)):
        rng = np.random.default_rng([seed, code, index])
        photo = photos[int(rng.integers(len(photos)))]
        own = [c for c in cells if c.photo.name == photo.name]
        host, crop = forge.crop_in_cell(
            rng, own[int(rng.integers(len(own)))], forge.SIZE, forge.SIZE
        )
        record: dict[str, Any] = {"label": label, "source": photo.name, "crop": crop}
        row: dict[str, Any] = {"label": label, "mask": None}
        if label == 0:
            pixels, record = np.ascontiguousarray(host), {**record, "kind": "authentic"}
        else:
            kind = KINDS[int(rng.integers(len(KINDS)))]
            donors = [c for c in cells if c.photo.gray == photo.gray and c.photo.name != photo.name]
            if kind == "splice" and donors:
                pixels, how = forge.splice(rng, host, donors)
            elif kind == "inpaint":
                pixels, how = forge.inpaint(rng, host)
            else:
                pixels, how = forge.copymove(rng, host)
            record = {**record, **how}
            splitformat.save_mask(forge.true_mask(how), labels_dir / "masks" / f"{ident}.png")
            row["mask"] = f"masks/{ident}.png"
        splitformat.save_png(pixels, inputs_dir / "images" / f"{ident}.png")
        truth[ident] = {**row, "width": forge.SIZE, "height": forge.SIZE}
        provenance[ident] = record

    common.write_task(inputs_dir, "localization", track)
    manifest = "".join(
        splitformat.json_line({"id": ids[i], "path": f"images/{ids[i]}.png"})
        for i in order_rng.permutation(count)
    )
    truth_text = "".join(splitformat.json_line({"id": i, **truth[i]}) for i in sorted(ids))
    prov = "".join(splitformat.json_line({"id": i, **provenance[i]}) for i in sorted(ids))
    (inputs_dir / splitformat.MANIFEST_FILE).write_text(manifest, encoding="utf-8")
    (labels_dir / splitformat.TRUTH_FILE).write_text(truth_text, encoding="utf-8")
    (labels_dir / splitformat.PROVENANCE_FILE).write_text(prov, encoding="utf-8")
    return {
        "track": track,
        "split": split,
        "seed": seed,
        "count": count,
        "classes": {"authentic": authentic, "manipulated": count - authentic},
        "kinds": dict(sorted(Counter(r["kind"] for r in provenance.values()).items())),
        "manifest_sha256": common.digest(manifest),
        "truth_sha256": common.digest(truth_text),
    }

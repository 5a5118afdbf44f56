"""Grid search for residual_mask's parameters on a train split (used by tune.py; not shipped).

The objectives follow the protocol's definitions (docs/protocol.md §4): localization maximises
pixel F1 averaged over manipulated images; video localization maximises frame IoU averaged over
all frames, where a frame whose truth and prediction are both empty scores 1.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from residual_mask import robust_z, to_mask

WINDOWS = (8, 16)
DIRECTIONS = (-1, 1)
THRESHOLDS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
GATES = (None, 2.0, 2.5, 3.0, 3.5, 4.0, 5.0)


def _f1(pred: np.ndarray, truth: np.ndarray) -> float:
    denominator = int(pred.sum()) + int(truth.sum())
    return 1.0 if denominator == 0 else 2.0 * int((pred & truth).sum()) / denominator


def _iou(pred: np.ndarray, truth: np.ndarray) -> float:
    union = int((pred | truth).sum())
    return 1.0 if union == 0 else int((pred & truth).sum()) / union


def load_split(root: Path) -> list[tuple[Path, np.ndarray | None]]:
    """(image path, binary truth mask or None) for every sample of a generated split."""
    paths = {}
    for line in (root / "inputs" / "manifest.jsonl").read_text().splitlines():
        row = json.loads(line)
        paths[row["id"]] = root / "inputs" / row["path"]
    samples = []
    for line in (root / "labels" / "truth.jsonl").read_text().splitlines():
        row = json.loads(line)
        truth = None
        if row.get("mask"):
            truth = np.asarray(Image.open(root / "labels" / row["mask"]).convert("L")) >= 128
        samples.append((paths[row["id"]], truth))
    return samples


def tune(
    samples: Iterable[tuple[Path, np.ndarray | None]],
    residual: Callable[[np.ndarray], np.ndarray],
    task: str,
) -> dict[str, Any]:
    """The parameters with the best objective on ``samples``, and that objective."""
    items = []
    for path, truth in samples:
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        r = residual(rgb)
        if truth is None:
            truth = np.zeros(r.shape, dtype=bool)
        items.append(({w: robust_z(r, w) for w in WINDOWS}, truth))
    if task == "localization":
        items = [(z, t) for z, t in items if t.any()]  # pixel F1 is over manipulated images
        gates: tuple[float | None, ...] = (None,)  # a gate can only lower it
        score = _f1
    else:
        gates, score = GATES, _iou
    best: dict[str, Any] = {}
    for window, direction, threshold, gate in itertools.product(
        WINDOWS, DIRECTIONS, THRESHOLDS, gates
    ):
        params = {"window": window, "direction": direction, "threshold": threshold, "gate": gate}
        value = float(np.mean([score(to_mask(z[window], params)[0] >= 0.5, t) for z, t in items]))
        if not best or value > best["objective"]:
            best = {**params, "objective": round(value, 4)}
    return best


# The train splits: the smoke generators with split name "train" and seeds no benchmark uses.
TRAIN_SPLITS: dict[str, dict[str, Any]] = {
    "localization": {"split": "train", "seed": 1021, "count": 200, "track": "smoke-localize"},
    "video_localization": {
        "split": "train",
        "seed": 1041,
        "count": 24,
        "track": "smoke-videoinpaint",
    },
}


def generate(task: str, root: Path) -> Path:
    """Write the task's train split under ``root`` (labels beside inputs, as importers do)."""
    from benchmarks.smoke.localize import build_localization_split
    from benchmarks.smoke.videoinpaint import build_video_inpaint_split

    build = {
        "localization": build_localization_split,
        "video_localization": build_video_inpaint_split,
    }[task]
    spec = TRAIN_SPLITS[task]
    build(
        inputs_dir=root / "inputs",
        labels_dir=root / "labels",
        split=spec["split"],
        count=spec["count"],
        seed=spec["seed"],
        track=spec["track"],
    )
    return root


def tune_to_file(
    residual: Callable[[np.ndarray], np.ndarray], tasks: Iterable[str], out: Path, **extra: Any
) -> dict[str, Any]:
    """Tune every task on its train split and write params.json; returns what was written."""
    import tempfile

    params: dict[str, Any] = {**extra}
    for task in tasks:
        with tempfile.TemporaryDirectory() as tmp:
            best = tune(load_split(generate(task, Path(tmp))), residual, task)
        params[task] = {**best, "fit": TRAIN_SPLITS[task]}
        print(f"{task}: {best}")
    out.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    return params

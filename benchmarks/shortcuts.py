"""The shortcut scan: how well trivial properties of what a container sees separate the labels.

Django-free. For a written split with both classes (detection, or localization with authentic
images), every *unit* a detector is judged on (an image, a video, or the frames of a video) is
described by features that say nothing about the content:

* files: size in bytes, image width and height, file format, JPEG quality estimate;
* videos: frame count, duration and bitrate (whole-video tracks); frame tracks: the number of
  frames a video has in the manifest and their total and mean size;
* names: id length and path length.

Each feature gets its ROC AUC against the labels (the evaluator's, ties half; a categorical
feature scores each unit by the share of fakes among the units of its category) with a 95%
bootstrap interval (1,000 resamples of the units, seed 0), and a logistic regression over all of
them together gets a cross-validated AUC (stratified 5-fold, out-of-fold scores). A feature's
separation is ``max(AUC, 1 - AUC)``: a feature that marks the *real* class is as much of a
shortcut; the model's is its AUC (it chose its direction when fitted). A feature or the model is
**flagged** when its separation exceeds 0.60 and its interval lies wholly on that side of 0.5
(so chance fluctuation on a small split does not raise a flag).

CASIA-style sets, whose tampered and authentic images differ in format or size, are the known
case: a detector can score well there by reading the file header alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from evaluator.bootstrap import bootstrap_interval
from evaluator.metrics.tables import DetectionTable
from evaluator.splitformat import MANIFEST_FILE, read_jsonl

THRESHOLD = 0.60
N_RESAMPLES = 1000
SEED = 0
FOLDS = 5
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm"}
CATEGORICAL = {"format"}
# IJG's standard luminance quantization table (ITU-T T.81 Annex K), for the quality estimate.
IJG_LUMINANCE = np.array(
    [
        *(16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55),
        *(14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62),
        *(18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92),
        *(49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99),
    ],
    dtype=np.int64,
)


def _ijg_sums() -> NDArray[np.int64]:
    out = []
    for quality in range(1, 101):
        scale = 5000 // quality if quality < 50 else 200 - 2 * quality
        out.append(int(np.clip((IJG_LUMINANCE * scale + 50) // 100, 1, 255).sum()))
    return np.array(out)


_IJG_SUMS = _ijg_sums()


def jpeg_quality(table: Sequence[int]) -> int:
    """The IJG quality (1-100) whose luminance table is closest in total to ``table``.

    Totals do not depend on the order the table is listed in (zigzag or natural), so this
    works for any encoder's table; a non-IJG table gets the nearest IJG equivalent.
    """
    total = int(np.asarray(table, dtype=np.int64).sum())
    return int(np.argmin(np.abs(_IJG_SUMS - total))) + 1


def image_features(path: Path) -> dict[str, float | str]:
    """Size, format, width, height and (JPEG only, else -1) quality estimate of one file."""
    out: dict[str, float | str] = {"file_size": float(path.stat().st_size)}
    try:
        with Image.open(path) as img:
            out["format"] = str(img.format or "unknown")
            out["width"], out["height"] = float(img.size[0]), float(img.size[1])
            tables = getattr(img, "quantization", None) or {}
            out["jpeg_quality"] = float(jpeg_quality(tables[0])) if 0 in tables else -1.0
    except (OSError, ValueError):
        out.update({"format": "unreadable", "width": -1.0, "height": -1.0, "jpeg_quality": -1.0})
    return out


def video_features(path: Path) -> dict[str, float | str]:
    """Size, container format, frame count, duration (s), bitrate, width and height."""
    import av  # PyAV: only video datasets need it (a heavy optional library)

    out: dict[str, float | str] = {"file_size": float(path.stat().st_size)}
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            frames = int(stream.frames) or sum(1 for _ in container.demux(stream))
            out.update(
                {
                    "format": str(container.format.name),
                    "frame_count": float(frames),
                    "duration": float(container.duration or 0) / 1e6,
                    "bitrate": float(container.bit_rate or 0),
                    "width": float(stream.codec_context.width),
                    "height": float(stream.codec_context.height),
                }
            )
    except (av.error.FFmpegError, IndexError, OSError):
        out["format"] = "unreadable"
    return out


@dataclass
class Units:
    """One row per unit: its label and its features (numbers, or strings for categories)."""

    names: list[str]
    labels: list[int]
    features: list[dict[str, float | str]]


def split_units(inputs_dir: Path, truth_path: Path) -> Units | None:
    """The units of a written split with their labels and features; None without labels."""
    manifest = read_jsonl(inputs_dir / MANIFEST_FILE)
    truth = {row["id"]: row for row in read_jsonl(truth_path)}
    if not all(isinstance(truth.get(row["id"], {}).get("label"), int) for row in manifest):
        return None  # retrieval, video localization: no class per unit
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in manifest:
        grouped.setdefault(str(row.get("video", row["id"])), []).append(row)
    units = Units([], [], [])
    for name, rows in sorted(grouped.items()):
        label = int(truth[rows[0]["id"]]["label"])
        first = inputs_dir / rows[0]["path"]
        if "video" in rows[0]:  # frames of one video
            files = [image_features(inputs_dir / r["path"]) for r in rows]
            sizes = [float(f["file_size"]) for f in files]
            feats = {
                "frame_count": float(len(rows)),
                "file_size": float(sum(sizes)),
                "frame_size": float(np.mean(sizes)),
                **{k: files[0][k] for k in ("format", "width", "height", "jpeg_quality")},
            }
        elif first.suffix.lower() in VIDEO_SUFFIXES:
            feats = video_features(first)
        else:
            feats = image_features(first)
        feats["id_length"] = float(len(name))
        feats["path_length"] = float(np.mean([len(r["path"]) for r in rows]))
        units.names.append(name)
        units.labels.append(label)
        units.features.append(feats)
    return units


def _column(units: Units, name: str) -> NDArray[np.float64]:
    """A feature as numbers: categories become the share of fakes among their units."""
    raw = [f.get(name, -1.0) for f in units.features]
    if name not in CATEGORICAL:
        return np.array([float(v) for v in raw])
    labels = np.array(units.labels)
    keys = [str(v) for v in raw]
    share = {k: float(labels[[i for i, x in enumerate(keys) if x == k]].mean()) for k in set(keys)}
    return np.array([share[k] for k in keys])


def _ranked(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Values mapped to [0, 1] keeping their order and ties (AUC depends on nothing else)."""
    distinct, inverse = np.unique(values, return_inverse=True)
    return inverse / max(1, len(distinct) - 1)


def _auc_row(units: Units, values: NDArray[np.float64], *, either_way: bool) -> dict[str, Any]:
    table = DetectionTable(units.names, units.labels, _ranked(values))
    auc = table.compute("auc")
    assert auc is not None
    interval = bootstrap_interval(table, "auc", n_resamples=N_RESAMPLES, seed=SEED)
    low, high = interval.low, interval.high
    # A single feature may mark either class; a fitted model already chose its direction
    # (out-of-fold AUC below 0.5 is cross-validation's known pessimism on noise, not a cue).
    separation = max(auc, 1.0 - auc) if either_way else auc
    # The interval on the side the feature separates: wholly beyond 0.5 or not.
    beyond = low is not None and high is not None and (low > 0.5 if auc >= 0.5 else high < 0.5)
    return {
        "auc": round(auc, 4),
        "ci": None if low is None or high is None else [round(low, 4), round(high, 4)],
        "separation": round(separation, 4),
        "flagged": bool(separation > THRESHOLD and beyond),
    }


def _design(units: Units, names: list[str]) -> NDArray[np.float64]:
    columns = []
    for name in names:
        if name in CATEGORICAL:
            keys = [str(f.get(name, "")) for f in units.features]
            for key in sorted(set(keys))[1:]:  # one-hot, first category dropped
                columns.append(np.array([k == key for k in keys], dtype=np.float64))
        else:
            columns.append(_column(units, name))
    return np.column_stack(columns) if columns else np.zeros((len(units.names), 0))


def _combined(units: Units, names: list[str]) -> dict[str, Any] | None:
    """Cross-validated logistic regression over every feature: out-of-fold AUC with interval."""
    # scikit-learn is heavy to import and only the combined-feature scan needs it.
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    labels = np.array(units.labels)
    folds = min(FOLDS, int(np.bincount(labels, minlength=2).min()))
    design = _design(units, names)
    if folds < 2 or design.shape[1] == 0:
        return None
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    scores = cross_val_predict(model, design, labels, cv=splitter, method="decision_function")
    row = _auc_row(units, np.asarray(scores, dtype=np.float64), either_way=False)
    return {**row, "model": "standardized logistic regression", "folds": folds}


def scan_units(units: Units) -> dict[str, Any]:
    counts = Counter(units.labels)
    if len(counts) < 2:
        return {"scanned": False, "reason": "the split holds one class"}
    names = sorted({k for f in units.features for k in f})
    features = {name: _auc_row(units, _column(units, name), either_way=True) for name in names}
    combined = _combined(units, names)
    flagged = sorted(n for n, row in features.items() if row["flagged"])
    if combined is not None and combined["flagged"]:
        flagged.append("combined")
    return {
        "scanned": True,
        "units": len(units.names),
        "classes": {str(k): counts[k] for k in sorted(counts)},
        "threshold": THRESHOLD,
        "n_resamples": N_RESAMPLES,
        "seed": SEED,
        "features": features,
        "combined": combined,
        "flagged": flagged,
    }


def scan_split(inputs_dir: Path, truth_path: Path) -> dict[str, Any]:
    """The shortcut scan of one written split (see the module's docstring)."""
    units = split_units(Path(inputs_dir), Path(truth_path))
    if units is None:
        return {"scanned": False, "reason": "the task has no class per sample"}
    return scan_units(units)


def describe(scan: dict[str, Any]) -> str:
    """One line for a report: clean, or each flagged feature with its AUC and interval."""
    if not scan.get("scanned"):
        return f"shortcut scan: not run ({scan.get('reason', 'no record')})"
    if not scan["flagged"]:
        return f"shortcut scan: clean ({len(scan['features'])} features, {scan['units']} units)"
    parts = []
    for name in scan["flagged"]:
        row = scan["combined"] if name == "combined" else scan["features"][name]
        ci = row["ci"] or ["?", "?"]
        parts.append(f"{name} AUC {row['auc']:.3f} [{ci[0]}, {ci[1]}]")
    return "shortcut scan: FLAGGED " + "; ".join(parts)

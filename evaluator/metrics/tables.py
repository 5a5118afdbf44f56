"""Per-unit sufficient statistics for each task, and every metric computed from them.

A table holds, per resampling unit (image, query or video), just what the task's metrics need:
scores and labels, a 2 x 256 pixel histogram per image, a first-hit rank and AP per query, the
confusion counts per frame. Every metric is then a function of the table and a weight per unit:

* ``weights=None`` gives the reported value;
* integer weights (how many times each unit was drawn) give the value on a bootstrap resample
  without copying data, which is how :mod:`evaluator.bootstrap` and :mod:`evaluator.ranking`
  work, pairing two submissions unit by unit.

Tables are saved with :meth:`Table.save` so that a platform can compare two submissions on the
same split later without rescoring (``ranking.paired_bootstrap``).

``compute`` returns None where the protocol says a metric is undefined (``image_auc`` on a split
with one class, a resample that drew no positive); the pure functions it calls raise instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evaluator.metrics import binary, histogram

FloatArray = NDArray[np.float64]
BinaryMetric = Callable[..., float]

DETECTION_FUNCTIONS: dict[str, BinaryMetric] = {
    "auc": binary.roc_auc_score,
    "acc": binary.accuracy_score,
    "eer": binary.equal_error_rate,
    "ap": binary.average_precision_score,
    "log_loss": binary.log_loss,
    # What deployment needs (optional board columns, each with its interval).
    "tpr@fpr0.01": partial(binary.tpr_at_fpr, max_fpr=0.01),
    "tpr@fpr0.001": partial(binary.tpr_at_fpr, max_fpr=0.001),
    "bacc": binary.balanced_accuracy_score,
    "ece": binary.expected_calibration_error,
    "brier": binary.brier_score,
}


def _mean(values: FloatArray, weights: FloatArray | None, keep: NDArray[np.bool_]) -> float | None:
    """Weighted mean of ``values[keep]``; None when nothing is kept."""
    w = keep.astype(np.float64) if weights is None else np.where(keep, weights, 0.0)
    total = float(w.sum())
    if total <= 0:
        return None
    return float(np.dot(w, np.where(keep, values, 0.0)) / total)


def _first_index(keys: Sequence[str]) -> tuple[tuple[str, ...], NDArray[np.intp]]:
    """Distinct keys in order of first appearance, and the position of each key among them."""
    positions: dict[str, int] = {}
    index = np.fromiter(
        (positions.setdefault(key, len(positions)) for key in keys), dtype=np.intp, count=len(keys)
    )
    return tuple(positions), index


class Table:
    """Base: one weight per unit, metrics by protocol name, saving and loading."""

    task: ClassVar[str]
    unit_kind: str  # what one resampling unit is: "sample", "image", "query" or "video"
    units: tuple[str, ...]

    @classmethod
    def from_arrays(cls, data: dict[str, NDArray[Any]]) -> Table:
        raise NotImplementedError

    def metric_names(self) -> tuple[str, ...]:
        raise NotImplementedError

    def compute(self, name: str, weights: ArrayLike | None = None) -> float | None:
        raise NotImplementedError

    def counts(self) -> dict[str, int]:
        raise NotImplementedError

    def arrays(self) -> dict[str, NDArray[Any]]:
        raise NotImplementedError

    def compute_all(self, weights: ArrayLike | None = None) -> dict[str, float | None]:
        return {name: self.compute(name, weights) for name in self.metric_names()}

    def _weights(self, weights: ArrayLike | None) -> FloatArray | None:
        if weights is None:
            return None
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (len(self.units),):
            raise ValueError(f"expected {len(self.units)} unit weights, got shape {w.shape}")
        return w

    def _check_name(self, name: str) -> None:
        if name not in self.metric_names():
            known = ", ".join(self.metric_names())
            raise ValueError(f"unknown {self.task} metric {name!r}; expected one of {known}")

    def save(self, path: Path) -> None:
        """Write the table as a compressed ``.npz`` (no pickles), see :func:`load_table`."""
        arrays: dict[str, Any] = {"task": np.array(self.task), **self.arrays()}
        np.savez_compressed(path, **arrays)


class DetectionTable(Table):
    """Scores and labels per sample; with ``videos`` (frame tracks) the unit is the video."""

    task = "detection"

    def __init__(
        self,
        ids: Sequence[str],
        labels: ArrayLike,
        scores: ArrayLike,
        videos: Sequence[str] | None = None,
    ):
        self.ids = tuple(ids)
        self.labels = np.asarray(labels).astype(np.bool_)
        self.scores = np.asarray(scores, dtype=np.float64)
        self.videos = None if videos is None else tuple(videos)
        self._sorted: dict[str, binary.SortedScores] = {}
        if self.videos is None:
            self.unit_kind = "sample"
            self.units = self.ids
            self.video_index: NDArray[np.intp] | None = None
        else:
            self.unit_kind = "video"
            self.units, self.video_index = _first_index(self.videos)
            frames = np.bincount(self.video_index, minlength=len(self.units))
            self.video_scores = np.bincount(self.video_index, self.scores) / frames
            first = np.unique(self.video_index, return_index=True)[1]
            self.video_labels = self.labels[first]

    def metric_names(self) -> tuple[str, ...]:
        names = tuple(DETECTION_FUNCTIONS)
        return names if self.videos is None else names + tuple(f"video_{n}" for n in names)

    def counts(self) -> dict[str, int]:
        n = {
            "samples": int(self.labels.size),
            "positives": int(self.labels.sum()),
            "negatives": int((~self.labels).sum()),
        }
        if self.videos is not None:
            n["videos"] = len(self.units)
            n["positive_videos"] = int(self.video_labels.sum())
            n["negative_videos"] = int((~self.video_labels).sum())
        return n

    def compute(self, name: str, weights: ArrayLike | None = None) -> float | None:
        self._check_name(name)
        w = self._weights(weights)
        level = "video" if name.startswith("video_") else "sample"
        if level == "video":
            labels, scores, sample_w = self.video_labels, self.video_scores, w
        else:
            labels, scores = self.labels, self.scores
            sample_w = w if w is None or self.video_index is None else w[self.video_index]
        metric = name.removeprefix("video_")
        try:
            if metric == "auc" and sample_w is not None:
                # the bootstrap path: sort once per table, then O(n) per resample
                if level not in self._sorted:
                    self._sorted[level] = binary.SortedScores(labels, scores)
                pos, neg = self._sorted[level].counts(sample_w)
                return binary.auc_from_counts(pos, neg, "roc_auc_score")
            return DETECTION_FUNCTIONS[metric](labels, scores, sample_weight=sample_w)
        except ValueError:
            return None  # undefined here (one class); both classes are checked on the truth

    def arrays(self) -> dict[str, NDArray[Any]]:
        out: dict[str, NDArray[Any]] = {
            "ids": np.array(self.ids),
            "labels": self.labels,
            "scores": self.scores,
        }
        if self.videos is not None:
            out["videos"] = np.array(self.videos)
        return out

    @classmethod
    def from_arrays(cls, data: dict[str, NDArray[Any]]) -> DetectionTable:
        videos = data.get("videos")
        return cls(
            data["ids"].tolist(),
            data["labels"],
            data["scores"],
            None if videos is None else videos.tolist(),
        )


class LocalizationTable(Table):
    """Per image: its label, a 2 x 256 joint pixel histogram and its image score."""

    task = "localization"
    unit_kind = "image"
    NAMES = (
        "pixel_f1",
        "pixel_iou",
        "pixel_auc",
        "pooled_pixel_auc",
        "pooled_pixel_f1",
        "image_auc",
        "image_f1",
        "image_acc",
        # Optional: image-level numbers from the maps alone (max-pooled), and the optimistic
        # per-image-best-threshold F1 some papers report.
        "map_image_auc",
        "map_image_f1",
        "map_image_acc",
        "optimistic_pixel_f1",
    )

    def __init__(
        self,
        ids: Sequence[str],
        labels: ArrayLike,
        histograms: ArrayLike,
        image_scores: ArrayLike,
    ):
        self.ids = self.units = tuple(ids)
        self.labels = np.asarray(labels).astype(np.bool_)
        self.histograms = np.asarray(histograms, dtype=np.int64).reshape(-1, 2, 256)
        self.image_scores = np.asarray(image_scores, dtype=np.float64)
        positives = self.histograms[:, 1].sum(axis=1)
        negatives = self.histograms[:, 0].sum(axis=1)
        # pixel means run over images whose ground truth has a positive pixel (protocol §4)
        self.manipulated = positives > 0
        # an image that is manipulated everywhere has no pixel AUC; it is left out of that mean
        self.auc_defined = self.manipulated & (negatives > 0)
        f1, iou, auc = (np.full(len(self.ids), np.nan) for _ in range(3))
        for i in np.flatnonzero(self.manipulated):
            f1[i] = histogram.histogram_f1(self.histograms[i])
            iou[i] = histogram.histogram_iou(self.histograms[i])
            if self.auc_defined[i]:
                auc[i] = histogram.histogram_auc(self.histograms[i])
        best = histogram.best_threshold_f1(self.histograms)
        self.per_image = {
            "pixel_f1": f1,
            "pixel_iou": iou,
            "pixel_auc": auc,
            "optimistic_pixel_f1": best,
        }
        # The max-pooled map: the largest predicted value of each image, / 255.
        present = self.histograms.sum(axis=1) > 0
        last = 255 - np.argmax(present[:, ::-1], axis=1)
        self.map_scores = np.where(present.any(axis=1), last, 0) / 255.0

    def metric_names(self) -> tuple[str, ...]:
        return self.NAMES

    def counts(self) -> dict[str, int]:
        return {
            "images": len(self.ids),
            "manipulated": int(self.labels.sum()),
            "authentic": int((~self.labels).sum()),
            "scored_for_pixels": int(self.manipulated.sum()),
            "scored_for_pixel_auc": int(self.auc_defined.sum()),
            "pixels": int(self.histograms.sum()),
        }

    def compute(self, name: str, weights: ArrayLike | None = None) -> float | None:
        self._check_name(name)
        w = self._weights(weights)
        if name in self.per_image:
            keep = self.auc_defined if name == "pixel_auc" else self.manipulated
            return _mean(self.per_image[name], w, keep)
        if name.startswith("pooled_"):
            pooled = (
                self.histograms.sum(axis=0)
                if w is None
                else np.tensordot(w, self.histograms, axes=1).round().astype(np.int64)
            )
            try:
                if name == "pooled_pixel_auc":
                    return histogram.histogram_auc(pooled)
                return histogram.histogram_f1(pooled)
            except ValueError:
                return None
        metric = name.removeprefix("map_").removeprefix("image_")
        present = self.labels if w is None else self.labels & (w > 0)
        absent = ~self.labels if w is None else ~self.labels & (w > 0)
        if not present.any() or not absent.any():
            return None  # image-level metrics only on splits holding both classes
        function = binary.f1_score if metric == "f1" else DETECTION_FUNCTIONS[metric]
        scores = self.map_scores if name.startswith("map_") else self.image_scores
        return function(self.labels, scores, sample_weight=w)

    def arrays(self) -> dict[str, NDArray[Any]]:
        return {
            "ids": np.array(self.ids),
            "labels": self.labels,
            "histograms": self.histograms,
            "image_scores": self.image_scores,
        }

    @classmethod
    def from_arrays(cls, data: dict[str, NDArray[Any]]) -> LocalizationTable:
        return cls(data["ids"].tolist(), data["labels"], data["histograms"], data["image_scores"])


class RetrievalTable(Table):
    """Per query: rank of the first relevant gallery id (0 = none) and average precision."""

    task = "retrieval"
    unit_kind = "query"
    KS = (1, 5, 10)

    def __init__(self, ids: Sequence[str], first_hits: ArrayLike, average_precisions: ArrayLike):
        self.ids = self.units = tuple(ids)
        self.first_hits = np.asarray(first_hits, dtype=np.int64)
        self.average_precisions = np.asarray(average_precisions, dtype=np.float64)

    def metric_names(self) -> tuple[str, ...]:
        return (*(f"r@{k}" for k in self.KS), "map")

    def counts(self) -> dict[str, int]:
        return {"queries": len(self.ids)}

    def compute(self, name: str, weights: ArrayLike | None = None) -> float | None:
        self._check_name(name)
        w = self._weights(weights)
        everyone = np.ones(len(self.ids), dtype=np.bool_)
        if name == "map":
            return _mean(self.average_precisions, w, everyone)
        k = int(name.removeprefix("r@"))
        hit = ((self.first_hits > 0) & (self.first_hits <= k)).astype(np.float64)
        return _mean(hit, w, everyone)

    def arrays(self) -> dict[str, NDArray[Any]]:
        return {
            "ids": np.array(self.ids),
            "first_hits": self.first_hits,
            "average_precisions": self.average_precisions,
        }

    @classmethod
    def from_arrays(cls, data: dict[str, NDArray[Any]]) -> RetrievalTable:
        return cls(data["ids"].tolist(), data["first_hits"], data["average_precisions"])


class VideoLocalizationTable(Table):
    """Per frame: (tp, fp, fn) pixel counts at the 0.5 rule; the unit is the video."""

    task = "video_localization"
    unit_kind = "video"
    NAMES = ("frame_iou", "frame_f1", "video_iou", "video_f1")

    def __init__(self, ids: Sequence[str], videos: Sequence[str], confusions: ArrayLike):
        self.ids = tuple(ids)
        self.videos = tuple(videos)
        self.confusions = np.asarray(confusions, dtype=np.int64).reshape(-1, 3)
        self.units, self.video_index = _first_index(self.videos)
        tp, fp, fn = self.confusions.T.astype(np.float64)
        union = tp + fp + fn
        empty = union == 0  # truth and prediction both empty: the frame scores 1 (protocol §4)
        safe = np.where(empty, 1.0, union)
        self.per_frame = {
            "iou": np.where(empty, 1.0, tp / safe),
            "f1": np.where(empty, 1.0, 2 * tp / np.where(empty, 1.0, union + tp)),
        }
        frames = np.bincount(self.video_index, minlength=len(self.units)).astype(np.float64)
        self.per_video = {
            key: np.bincount(self.video_index, values, minlength=len(self.units)) / frames
            for key, values in self.per_frame.items()
        }

    def metric_names(self) -> tuple[str, ...]:
        return self.NAMES

    def counts(self) -> dict[str, int]:
        return {"frames": len(self.ids), "videos": len(self.units)}

    def compute(self, name: str, weights: ArrayLike | None = None) -> float | None:
        self._check_name(name)
        w = self._weights(weights)
        level, metric = name.split("_")
        if level == "frame":
            frame_w = None if w is None else w[self.video_index]
            values = self.per_frame[metric]
            return _mean(values, frame_w, np.ones(values.size, dtype=np.bool_))
        values = self.per_video[metric]
        return _mean(values, w, np.ones(values.size, dtype=np.bool_))

    def arrays(self) -> dict[str, NDArray[Any]]:
        return {
            "ids": np.array(self.ids),
            "videos": np.array(self.videos),
            "confusions": self.confusions,
        }

    @classmethod
    def from_arrays(cls, data: dict[str, NDArray[Any]]) -> VideoLocalizationTable:
        return cls(data["ids"].tolist(), data["videos"].tolist(), data["confusions"])


TABLES: dict[str, type[Table]] = {
    cls.task: cls
    for cls in (DetectionTable, LocalizationTable, RetrievalTable, VideoLocalizationTable)
}


def load_table(path: Path) -> Table:
    """Read a table written by :meth:`Table.save`."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    task = str(arrays.pop("task"))
    return TABLES[task].from_arrays(arrays)

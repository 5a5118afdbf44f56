"""The one registry of tasks and metrics: names, direction, default primary, resampling unit.

Names are the protocol's (§1, §4) and the keys of every result. The same registry drives the
shared property tests, the CLI table and ranking (which needs to know which way is better).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricSpec:
    name: str
    higher_is_better: bool
    description: str
    # Optional board columns (deployment metrics): shown on request, each with its interval.
    optional: bool = False


@dataclass(frozen=True)
class TaskSpec:
    name: str
    metrics: tuple[MetricSpec, ...]
    primary: str
    unit: str  # the bootstrap resampling unit (frame tracks of detection: the video)

    def optional_metrics(self) -> tuple[str, ...]:
        """The deployment metrics: optional columns, each reported with its interval."""
        return tuple(spec.name for spec in self.metrics if spec.optional)

    def metric(self, name: str) -> MetricSpec:
        for spec in self.metrics:
            if spec.name == name:
                return spec
        known = ", ".join(spec.name for spec in self.metrics)
        raise ValueError(f"unknown {self.name} metric {name!r}; expected one of {known}")


_DETECTION = (
    MetricSpec("auc", True, "ROC AUC, ties counted half"),
    MetricSpec("acc", True, "accuracy of score > 0.5"),
    MetricSpec("eer", False, "equal error rate, interpolated on the ROC"),
    MetricSpec("ap", True, "average precision, step-wise"),
    MetricSpec("log_loss", False, "mean negative log-likelihood, scores clipped to 1e-15"),
    MetricSpec("tpr@fpr0.01", True, "TPR at FPR = 1%, interpolated on the ROC", True),
    MetricSpec("tpr@fpr0.001", True, "TPR at FPR = 0.1%, interpolated on the ROC", True),
    MetricSpec("bacc", True, "balanced accuracy of score > 0.5", True),
    MetricSpec("ece", False, "expected calibration error, 15 equal-width bins", True),
    MetricSpec("brier", False, "Brier score, mean (score - label)^2", True),
)

REGISTRY: dict[str, TaskSpec] = {
    "detection": TaskSpec(
        "detection",
        _DETECTION
        + tuple(
            MetricSpec(
                f"video_{m.name}", m.higher_is_better, f"{m.description}, per video", m.optional
            )
            for m in _DETECTION
        ),
        primary="auc",
        unit="sample (video on frame tracks)",
    ),
    "localization": TaskSpec(
        "localization",
        (
            MetricSpec("pixel_f1", True, "per-image pixel F1, mean over manipulated images"),
            MetricSpec("pixel_iou", True, "per-image pixel IoU, mean over manipulated images"),
            MetricSpec("pixel_auc", True, "per-image pixel AUC, mean over manipulated images"),
            MetricSpec("pooled_pixel_auc", True, "pixel AUC over all pixels of the split"),
            MetricSpec("pooled_pixel_f1", True, "pixel F1 over all pixels of the split"),
            MetricSpec("image_auc", True, "image score ROC AUC (both classes only)"),
            MetricSpec("image_f1", True, "image F1 at 0.5 (both classes only)"),
            MetricSpec("image_acc", True, "image accuracy at 0.5 (both classes only)"),
            MetricSpec("map_image_auc", True, "image AUC of the max-pooled map", True),
            MetricSpec("map_image_f1", True, "image F1 at 0.5 of the max-pooled map", True),
            MetricSpec("map_image_acc", True, "image accuracy at 0.5 of the max-pooled map", True),
            MetricSpec(
                "optimistic_pixel_f1",
                True,
                "OPTIMISTIC: pixel F1 at each image's own best threshold, mean over manipulated",
                True,
            ),
        ),
        primary="pixel_f1",
        unit="image",
    ),
    "retrieval": TaskSpec(
        "retrieval",
        (
            MetricSpec("r@1", True, "queries with a relevant id at rank 1"),
            MetricSpec("r@5", True, "queries with a relevant id in the top 5"),
            MetricSpec("r@10", True, "queries with a relevant id in the top 10"),
            MetricSpec("map", True, "mean average precision over the ranking"),
        ),
        primary="r@1",
        unit="query",
    ),
    "video_localization": TaskSpec(
        "video_localization",
        (
            MetricSpec("frame_iou", True, "per-frame IoU, mean over all frames"),
            MetricSpec("frame_f1", True, "per-frame F1, mean over all frames"),
            MetricSpec("video_iou", True, "per-video mean frame IoU, mean over videos"),
            MetricSpec("video_f1", True, "per-video mean frame F1, mean over videos"),
        ),
        primary="frame_iou",
        unit="video",
    ),
}

TASKS = tuple(REGISTRY)
# Every metric any task reports: what a board may be sorted by (besides its rank).
METRIC_NAMES = frozenset(spec.name for task in REGISTRY.values() for spec in task.metrics)


def task_spec(task: str) -> TaskSpec:
    try:
        return REGISTRY[task]
    except KeyError:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}") from None

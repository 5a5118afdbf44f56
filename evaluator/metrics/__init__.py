"""Metric functions (pure, sklearn-style), pixel histograms, per-unit tables and the registry."""

from evaluator.metrics.binary import (
    accuracy_score,
    average_precision_score,
    equal_error_rate,
    f1_score,
    log_loss,
    roc_auc_score,
)
from evaluator.metrics.histogram import (
    histogram_auc,
    histogram_f1,
    histogram_iou,
    joint_histogram,
    pixel_auc_score,
    pixel_f1_score,
    pixel_iou_score,
)
from evaluator.metrics.registry import REGISTRY, TASKS, MetricSpec, TaskSpec, task_spec
from evaluator.metrics.retrieval import mean_average_precision, recall_at_k
from evaluator.metrics.tables import (
    DetectionTable,
    LocalizationTable,
    RetrievalTable,
    Table,
    VideoLocalizationTable,
    load_table,
)

__all__ = [
    "REGISTRY",
    "TASKS",
    "DetectionTable",
    "LocalizationTable",
    "MetricSpec",
    "RetrievalTable",
    "Table",
    "TaskSpec",
    "VideoLocalizationTable",
    "accuracy_score",
    "average_precision_score",
    "equal_error_rate",
    "f1_score",
    "histogram_auc",
    "histogram_f1",
    "histogram_iou",
    "joint_histogram",
    "load_table",
    "log_loss",
    "mean_average_precision",
    "pixel_auc_score",
    "pixel_f1_score",
    "pixel_iou_score",
    "recall_at_k",
    "roc_auc_score",
    "task_spec",
]

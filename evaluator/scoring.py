"""Score a predictions file against a truth file: validate, build the table, add the interval.

This is the one code path of the platform's score step and of ``python -m evaluator score``.
Masks are streamed: a small pool of threads decodes PNGs (zlib and Pillow's decoder release the
GIL) and reduces each mask pair to a 2 x 256 histogram at once, so at most a few masks per worker
are in memory whatever the split's size.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from evaluator import PROTOCOL_VERSION
from evaluator.bootstrap import N_RESAMPLES, bootstrap_intervals
from evaluator.metrics import histogram
from evaluator.metrics.registry import task_spec
from evaluator.metrics.retrieval import average_precision_at, first_hit
from evaluator.metrics.tables import (
    DetectionTable,
    LocalizationTable,
    RetrievalTable,
    Table,
    VideoLocalizationTable,
)
from evaluator.truth import (
    DetectionTruth,
    LocalizationTruth,
    RetrievalTruth,
    Truth,
    VideoLocalizationTruth,
    load_truth,
)
from evaluator.validation import masks
from evaluator.validation.errors import PredictionError
from evaluator.validation.files import DEFAULT_MAX_FILE_BYTES, Collector
from evaluator.validation.predictions import Predictions, read_predictions

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Evaluation:
    """The JSON result and the per-unit table behind it (keep the table for paired ranking)."""

    result: dict[str, Any]
    table: Table


def default_primary(task: str, truth: Truth) -> str:
    if isinstance(truth, DetectionTruth) and truth.videos is not None:
        return "video_auc"  # frame tracks rank videos (protocol §1)
    return task_spec(task).primary


def evaluate(
    task: str,
    truth_path: Path,
    predictions_path: Path,
    *,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    primary: str | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    workers: int | None = None,
) -> Evaluation:
    """Validate and score; raise PredictionError / TruthError (both ValueErrors) on bad input."""
    spec = task_spec(task)
    truth = load_truth(task, Path(truth_path), max_file_bytes=max_file_bytes)
    predictions = read_predictions(
        task, Path(predictions_path), truth.ids, max_file_bytes=max_file_bytes
    )
    table = build_table(truth, predictions, max_file_bytes=max_file_bytes, workers=workers)
    primary = primary or default_primary(task, truth)
    if primary not in table.metric_names():
        known = ", ".join(table.metric_names())
        raise ValueError(f"primary metric {primary!r} is not available here; choose from {known}")
    metrics = table.compute_all()
    # The deployment metrics (optional columns) each come with their interval too, on the
    # same resamples as the primary's.
    wanted = [primary] + [
        name
        for name in spec.optional_metrics()
        if metrics.get(name) is not None and name != primary
    ]
    found = bootstrap_intervals(table, wanted, n_resamples=n_resamples, seed=seed)
    intervals = {name: interval.as_list() for name, interval in found.items()}
    result: dict[str, Any] = {"task": spec.name, "protocol": PROTOCOL_VERSION}
    result.update(metrics)
    result.update(
        {
            "n": table.counts(),
            "ci": intervals,
            "primary": primary,
            "seed": seed,
            "n_resamples": n_resamples,
            "resampling_unit": table.unit_kind,
        }
    )
    return Evaluation(result=result, table=table)


def score_files(
    task: str,
    truth_path: Path,
    predictions_path: Path,
    *,
    seed: int = 0,
    n_resamples: int = N_RESAMPLES,
    primary: str | None = None,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
) -> dict[str, Any]:
    """The CLI's JSON object: metrics by protocol name (None if undefined), n, ci, protocol, ..."""
    return evaluate(
        task,
        truth_path,
        predictions_path,
        seed=seed,
        n_resamples=n_resamples,
        primary=primary,
        max_file_bytes=max_file_bytes,
    ).result


def build_table(
    truth: Truth, predictions: Predictions, *, max_file_bytes: int, workers: int | None = None
) -> Table:
    if isinstance(truth, DetectionTruth):
        assert predictions.scores is not None
        return DetectionTable(truth.ids, truth.labels, predictions.scores, truth.videos)
    if isinstance(truth, RetrievalTruth):
        assert predictions.rankings is not None
        pairs = list(zip(truth.relevant, predictions.rankings, strict=True))
        return RetrievalTable(
            truth.ids,
            [first_hit(relevant, ranking) for relevant, ranking in pairs],
            [average_precision_at(relevant, ranking) for relevant, ranking in pairs],
        )
    hists = mask_histograms(truth, predictions, max_file_bytes=max_file_bytes, workers=workers)
    if isinstance(truth, LocalizationTruth):
        assert predictions.scores is not None
        from_masks = np.array([histogram.max_value(h) / 255.0 for h in hists])
        given = predictions.scores
        scores = np.where(np.isnan(given), from_masks, given)
        return LocalizationTable(truth.ids, truth.labels, hists, scores)
    confusions = [histogram.confusion(h)[:3] for h in hists]
    return VideoLocalizationTable(truth.ids, truth.videos, confusions)


def mask_histograms(
    truth: LocalizationTruth | VideoLocalizationTruth,
    predictions: Predictions,
    *,
    max_file_bytes: int,
    workers: int | None = None,
) -> np.ndarray:
    """(n, 2, 256) joint histograms, checking every mask header before decoding any mask."""
    assert predictions.masks is not None
    expected = expected_sizes(truth, max_file_bytes=max_file_bytes)
    errors = Collector(PredictionError)
    for path, line, size in zip(predictions.masks, predictions.lines, expected, strict=True):
        head = masks.read_prediction_header(path, max_bytes=max_file_bytes)
        problem = masks.mask_problem(head, size)
        if problem is not None:
            errors.add("bad_mask", line, f"{path.name}: {problem}")
    errors.raise_if_any()

    def one(i: int) -> np.ndarray:
        pred = masks.decode_prediction(
            predictions.masks[i],  # type: ignore[index]
            max_bytes=max_file_bytes,
            expected=expected[i],
            line=predictions.lines[i],
        )
        gt_path = truth.masks[i]
        if gt_path is None:
            hist = np.zeros((2, 256), dtype=np.int64)
            hist[0] = histogram.value_histogram(pred)
            return hist
        gt = masks.decode_truth(gt_path, max_bytes=max_file_bytes)
        return histogram.joint_histogram(gt, pred)

    out = np.empty((len(truth.ids), 2, 256), dtype=np.int64)
    for i, hist in enumerate(ordered_map(one, range(len(truth.ids)), workers=workers)):
        out[i] = hist
    return out


def expected_sizes(
    truth: LocalizationTruth | VideoLocalizationTruth, *, max_file_bytes: int
) -> list[tuple[int, int] | None]:
    """The width x height each predicted mask must have, where the truth tells it."""
    sizes: list[tuple[int, int] | None] = []
    for declared, gt_path in zip(truth.sizes, truth.masks, strict=True):
        if gt_path is not None:
            sizes.append(masks.truth_size(gt_path, max_bytes=max_file_bytes))
        else:
            sizes.append(declared)
    return sizes


def ordered_map[T, R](
    function: Callable[[T], R], items: Iterable[T], *, workers: int | None = None
) -> Iterator[R]:
    """``map`` over a thread pool, in order, with a bounded number of tasks in flight.

    Unlike ``Executor.map`` it does not submit everything at once, so memory stays bounded by
    the window, not by the number of masks.
    """
    count = workers or os.cpu_count() or 1
    window = 2 * count
    with ThreadPoolExecutor(max_workers=count) as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()

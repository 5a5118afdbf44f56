"""Speed figures for the metrics engine, side by side with scikit-learn and a memory-read floor.

    .venv/bin/python perf/bench_metrics.py            # the full run (`make bench`), ~2 minutes
    .venv/bin/python perf/bench_metrics.py --quick    # smaller data, for a smoke check

Data is generated (seeded): 200 masks of 512 x 512 (52 M pixels) with elliptic ground truth and
noisy 8-bit predictions, and 10 M detection scores with ties. Times are the best of a few repeats
(scikit-learn: one run; it is slow). Results go to stdout as a table; docs/benchmarks.md holds
the figures of a reference run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn import metrics as sk

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.bootstrap import bootstrap_intervals
from evaluator.metrics import DetectionTable, binary, histogram
from evaluator.scoring import mask_histograms, ordered_map
from evaluator.truth import load_truth
from evaluator.validation import masks as mask_io
from evaluator.validation.predictions import read_predictions


def best(function: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def make_masks(count: int, size: int, seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    truths, preds = [], []
    for _ in range(count):
        cy, cx, ry, rx = rng.uniform(0.2, 0.8, 2).tolist() + rng.uniform(0.05, 0.3, 2).tolist()
        inside = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        truths.append(inside.astype(np.uint8) * 255)
        # a plausible detector: high inside, low outside, noisy, shifted a little
        noise = rng.normal(0.0, 40.0, inside.shape).astype(np.float32)
        shifted = np.roll(inside, int(rng.integers(-20, 20)), axis=1)
        preds.append(np.clip(shifted * 170.0 + 30.0 + noise, 0, 255).astype(np.uint8))
    return truths, preds


def ours_on_arrays(truths: list[np.ndarray], preds: list[np.ndarray]) -> None:
    for truth, pred in zip(truths, preds, strict=True):
        hist = histogram.joint_histogram(truth, pred)
        histogram.histogram_f1(hist)
        histogram.histogram_iou(hist)
        histogram.histogram_auc(hist)


def floor_on_arrays(truths: list[np.ndarray], preds: list[np.ndarray]) -> None:
    for truth, pred in zip(truths, preds, strict=True):
        int(pred.sum()) + int(truth.sum())


def sklearn_f1(truths: list[np.ndarray], preds: list[np.ndarray]) -> None:
    for truth, pred in zip(truths, preds, strict=True):
        sk.f1_score((truth >= 128).ravel(), (pred >= 128).ravel())


def sklearn_auc(truths: list[np.ndarray], preds: list[np.ndarray]) -> None:
    for truth, pred in zip(truths, preds, strict=True):
        sk.roc_auc_score((truth >= 128).ravel(), pred.ravel())


def write_split(root: Path, truths: list[np.ndarray], preds: list[np.ndarray]) -> tuple[Path, Path]:
    (root / "truth" / "gt").mkdir(parents=True)
    (root / "out" / "masks").mkdir(parents=True)
    truth_lines, pred_lines = [], []
    for i, (truth, pred) in enumerate(zip(truths, preds, strict=True)):
        Image.fromarray(truth).save(root / "truth" / "gt" / f"{i}.png")
        Image.fromarray(pred).save(root / "out" / "masks" / f"{i}.png")
        truth_lines.append({"id": f"im{i}", "label": 1, "mask": f"gt/{i}.png"})
        pred_lines.append({"id": f"im{i}", "mask": f"masks/{i}.png"})
    for path, rows in (
        (root / "truth" / "truth.jsonl", truth_lines),
        (root / "out" / "p.jsonl", pred_lines),
    ):
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return root / "truth" / "truth.jsonl", root / "out" / "p.jsonl"


def row(name: str, ours: float, other: float | None, other_name: str) -> str:
    ratio = "" if other is None else f"{other / ours:8.1f}x"
    shown = "" if other is None else f"{other:9.3f} s"
    return f"{name:<44} {ours:9.3f} s   {other_name:<22} {shown:>11} {ratio:>9}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, for a smoke check")
    args = parser.parse_args()
    count, size, n_scores = (20, 256, 1_000_000) if args.quick else (200, 512, 10_000_000)
    n_intervals = 10_000 if args.quick else 100_000  # scores behind the 1,000-resample intervals
    cores = os.cpu_count() or 1
    print(
        f"numpy {np.__version__}, {cores} cores; {count} masks of {size}x{size} "
        f"({count * size * size / 1e6:.1f} M pixels), {n_scores / 1e6:.0f} M detection scores\n"
    )
    print(f"{'step':<44} {'ours':>11}   {'reference':<22} {'time':>11} {'speed-up':>9}")

    truths, preds = make_masks(count, size, seed=0)
    ours = best(lambda: ours_on_arrays(truths, preds), 5)
    floor = best(lambda: floor_on_arrays(truths, preds), 5)
    name = "localization, arrays: pixel F1+IoU+AUC"
    print(
        f"{name:<44} {ours:9.3f} s   {'floor (sum arrays)':<22} {floor:9.3f} s "
        f"{ours / floor:6.2f}x floor"
    )
    f1 = best(lambda: sklearn_f1(truths, preds), 1)
    print(row("", ours, f1, "sklearn f1_score"))
    auc = best(lambda: sklearn_auc(truths, preds), 1)
    print(row("", ours, auc, "sklearn roc_auc_score"))
    print(row("", ours, f1 + auc, "sklearn F1 + AUC"))

    with tempfile.TemporaryDirectory() as tmp:
        truth_path, pred_path = write_split(Path(tmp), truths, preds)
        files = sorted((Path(tmp) / "out" / "masks").glob("*.png"))

        def decode(workers: int) -> None:
            def one(path: Path) -> None:
                mask_io.decode_prediction(path, max_bytes=1 << 30, expected=None, line=0)

            for _ in ordered_map(one, files, workers=workers):
                pass

        one_core = best(lambda: decode(1), 3)
        all_cores = best(lambda: decode(cores), 3)
        print(
            row(f"PNG decode of the predictions, {cores} threads", all_cores, one_core, "1 thread")
        )
        truth = load_truth("localization", truth_path)
        predictions = read_predictions("localization", pred_path, truth.ids)

        def stream() -> None:
            mask_histograms(truth, predictions, max_file_bytes=1 << 30)  # type: ignore[arg-type]

        streamed = best(stream, 3)
        print(row("localization from PNGs (decode both + metrics)", streamed, None, ""))
        tracemalloc.start()
        stream()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        total = sum(t.nbytes + p.nbytes for t, p in zip(truths, preds, strict=True))
        print(
            f"{'  peak memory while streaming':<44} {peak / 2**20:9.1f} MiB "
            f"(all masks: {total / 2**20:.0f} MiB)"
        )

    rng = np.random.default_rng(1)
    labels = rng.random(n_scores) < 0.3
    scores = np.round(np.clip(rng.normal(0.4 + 0.2 * labels, 0.2), 0, 1), 4)
    ours_auc = best(lambda: binary.roc_auc_score(labels, scores), 3)
    sk_auc = best(lambda: sk.roc_auc_score(labels, scores), 1)
    assert abs(binary.roc_auc_score(labels, scores) - sk.roc_auc_score(labels, scores)) < 1e-9
    print(
        row(
            f"detection AUC, {n_scores / 1e6:.0f} M scores",
            ours_auc,
            sk_auc,
            "sklearn roc_auc_score",
        )
    )

    # The deployment metrics (TPR at FPR 1% and 0.1%, balanced accuracy, ECE, Brier) on the
    # same scores, against scikit-learn's roc_curve (+ the same interpolation),
    # balanced_accuracy_score, calibration_curve (+ bin counts) and brier_score_loss.
    def ours_deployment() -> None:
        binary.tpr_at_fpr(labels, scores, max_fpr=0.01)
        binary.tpr_at_fpr(labels, scores, max_fpr=0.001)
        binary.balanced_accuracy_score(labels, scores)
        binary.expected_calibration_error(labels, scores)
        binary.brier_score(labels, scores)

    def sk_deployment() -> None:
        from sklearn.calibration import calibration_curve

        fpr, tpr, _ = sk.roc_curve(labels, scores)
        np.interp([0.01, 0.001], fpr, tpr)
        sk.balanced_accuracy_score(labels, scores > 0.5)
        calibration_curve(labels, scores, n_bins=15)
        np.bincount(np.searchsorted(np.linspace(0, 1, 16)[1:-1], scores), minlength=15)
        sk.brier_score_loss(labels, scores)

    ours_dep = best(ours_deployment, 3)
    sk_dep = best(sk_deployment, 1)
    print(row("detection deployment metrics (5)", ours_dep, sk_dep, "sklearn equivalents"))
    table = DetectionTable(
        [str(i) for i in range(n_intervals)], labels[:n_intervals], scores[:n_intervals]
    )
    names = ["auc", "tpr@fpr0.01", "tpr@fpr0.001", "bacc", "ece", "brier"]
    auc_only = best(lambda: bootstrap_intervals(table, ["auc"]), 1)
    with_all = best(lambda: bootstrap_intervals(table, names), 1)
    print(
        row(
            f"intervals: AUC + the 5, {n_intervals // 1000}k scores",
            with_all,
            auc_only,
            "AUC interval alone",
        )
    )


if __name__ == "__main__":
    main()

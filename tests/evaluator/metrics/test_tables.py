"""Shared property tests driven by the registry, and agreement of each task's metrics with
scikit-learn on the raw data (pixels, frames, videos)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from evaluator.metrics import REGISTRY, histogram
from evaluator.metrics.tables import (
    DetectionTable,
    LocalizationTable,
    RetrievalTable,
    Table,
    VideoLocalizationTable,
    load_table,
)

TOL = 1e-9


def detection(rng: np.random.Generator, n: int, videos: bool = False) -> Table:
    if videos:
        video_of = [f"v{i}" for i in rng.integers(0, max(2, n // 3), n)]
        label_of = {v: i % 2 for i, v in enumerate(sorted(set(video_of)))}
        labels = [label_of[v] for v in video_of]
        return DetectionTable([f"f{i}" for i in range(n)], labels, rng.random(n).round(1), video_of)
    labels = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    return DetectionTable([f"s{i}" for i in range(n)], labels, rng.random(n).round(1))


def masks(rng: np.random.Generator, n: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    truths, preds = [], []
    for i in range(n):
        shape = tuple(rng.integers(1, 9, 2))
        kind = i % 4  # authentic, ordinary, fully manipulated, empty prediction
        truth = (rng.random(shape) < 0.4).astype(np.uint8) * rng.integers(0, 256, shape, np.uint8)
        if kind == 0:
            truth[:] = 0
        elif kind == 2:
            truth[:] = 255
        pred = rng.integers(0, 256, shape, np.uint8) if kind != 3 else np.zeros(shape, np.uint8)
        truths.append(truth)
        preds.append(pred)
    return truths, preds


def localization(rng: np.random.Generator, n: int) -> Table:
    truths, preds = masks(rng, n)
    hists = [histogram.joint_histogram(t, p) for t, p in zip(truths, preds, strict=True)]
    labels = [int((t >= 128).any()) for t in truths]
    return LocalizationTable([f"i{i}" for i in range(n)], labels, hists, rng.random(n).round(1))


def retrieval(rng: np.random.Generator, n: int) -> Table:
    hits = rng.integers(0, 12, n)
    return RetrievalTable([f"q{i}" for i in range(n)], hits, rng.random(n) * (hits > 0))


def video_localization(rng: np.random.Generator, n: int) -> Table:
    confusions = rng.integers(0, 4, (n, 3))
    videos = [f"v{i}" for i in rng.integers(0, max(1, n // 2), n)]
    return VideoLocalizationTable([f"f{i}" for i in range(n)], videos, confusions)


BUILDERS: dict[str, Callable[..., Table]] = {
    "detection": detection,
    "detection_frames": lambda rng, n: detection(rng, n, videos=True),
    "localization": localization,
    "retrieval": retrieval,
    "video_localization": video_localization,
}


def test_every_registered_metric_is_computed_by_some_table() -> None:
    rng = np.random.default_rng(0)
    for task, spec in REGISTRY.items():
        names: set[str] = set()
        for key, build in BUILDERS.items():
            table = build(rng, 12)
            if table.task == task:
                assert set(table.metric_names()) <= {m.name for m in spec.metrics}, key
                names |= set(table.metric_names())
        assert names == {m.name for m in spec.metrics}, task


def _close(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < TOL)


def _subset(table: Table, order: np.ndarray) -> Table:
    """The same data with units reordered/repeated as ``order`` says (samples follow units)."""
    arrays = table.arrays()
    unit_of = getattr(table, "video_index", None)
    if unit_of is None:
        rows = order
    else:
        rows = np.concatenate([np.flatnonzero(unit_of == u) for u in order]).astype(np.intp)
    picked = {key: value[rows] for key, value in arrays.items()}
    if unit_of is not None:  # a repeated video must stay a distinct unit, like a resample
        copy = np.concatenate([np.full((unit_of == u).sum(), k) for k, u in enumerate(order)])
        picked["videos"] = np.array([f"r{k}" for k in copy])
    picked["ids"] = np.array([f"x{k}" for k in range(rows.size)])
    return type(table).from_arrays(picked)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(sorted(BUILDERS)), st.integers(0, 10_000), st.integers(4, 30))
def test_shared_properties(key: str, seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    table = BUILDERS[key](rng, n)
    spec = REGISTRY[table.task]
    values = table.compute_all()
    units = len(table.units)
    # bounds and direction
    for name, value in values.items():
        if value is not None:
            assert np.isfinite(value)
            if name.endswith("log_loss"):
                assert value >= 0
            else:
                assert 0.0 <= value <= 1.0, name
        assert spec.metric(name).name == name
    # weights of one are the reported value
    assert all(_close(values[k], v) for k, v in table.compute_all(np.ones(units)).items())
    # order invariance: the same units in another order give the same numbers
    permuted = _subset(table, rng.permutation(units))
    assert all(_close(values[k], v) for k, v in permuted.compute_all().items())
    # integer weights equal the resampled table, which is what the bootstrap relies on
    draw = rng.integers(0, units, units)
    weights = np.bincount(draw, minlength=units)
    resampled = _subset(table, np.sort(draw))
    weighted = table.compute_all(weights)
    assert all(_close(weighted[k], v) for k, v in resampled.compute_all().items())


def test_localization_matches_sklearn_on_raw_pixels() -> None:
    rng = np.random.default_rng(1)
    truths, preds = masks(rng, 24)
    hists = [histogram.joint_histogram(t, p) for t, p in zip(truths, preds, strict=True)]
    labels = np.array([int((t >= 128).any()) for t in truths])
    image_scores = rng.random(24)
    table = LocalizationTable([str(i) for i in range(24)], labels, hists, image_scores)
    manipulated = [i for i, t in enumerate(truths) if (t >= 128).any()]
    y = [(truths[i] >= 128).ravel() for i in range(24)]
    d = [(preds[i] >= 128).ravel() for i in range(24)]
    f1 = np.mean([sk.f1_score(y[i], d[i], zero_division=0) for i in manipulated])
    iou = np.mean([sk.jaccard_score(y[i], d[i], zero_division=0) for i in manipulated])
    auc = np.mean([sk.roc_auc_score(y[i], preds[i].ravel()) for i in manipulated if not y[i].all()])
    all_y, all_p = np.concatenate(y), np.concatenate([p.ravel() for p in preds])
    expected = {
        "pixel_f1": f1,
        "pixel_iou": iou,
        "pixel_auc": auc,
        "pooled_pixel_auc": sk.roc_auc_score(all_y, all_p),
        "pooled_pixel_f1": sk.f1_score(all_y, all_p >= 128),
        "image_auc": sk.roc_auc_score(labels, image_scores),
        "image_f1": sk.f1_score(labels, image_scores > 0.5),
        "image_acc": sk.accuracy_score(labels, image_scores > 0.5),
    }
    for name, value in expected.items():
        assert abs(table.compute(name) - value) < TOL, name  # type: ignore[operator]


def test_localization_with_one_class_has_null_image_metrics() -> None:
    truth = np.full((2, 2), 255, np.uint8)
    pred = np.array([[0, 255], [255, 255]], np.uint8)
    hist = histogram.joint_histogram(truth, pred)
    table = LocalizationTable(["a", "b"], [1, 1], [hist, hist], [0.9, 0.2])
    assert table.compute("image_auc") is None
    assert table.compute("pixel_auc") is None  # fully manipulated: no authentic pixel
    assert table.compute("pixel_f1") == pytest.approx(6 / 7)


def test_video_localization_matches_per_frame_sklearn() -> None:
    rng = np.random.default_rng(2)
    frames = []
    for _ in range(30):
        truth = (rng.random((5, 5)) < rng.choice([0.0, 0.3])).ravel()
        pred = (rng.random((5, 5)) < rng.choice([0.0, 0.3])).ravel()
        frames.append((truth, pred))
    videos = [f"v{i % 4}" for i in range(30)]
    confusions = [(int((t & p).sum()), int((~t & p).sum()), int((t & ~p).sum())) for t, p in frames]
    table = VideoLocalizationTable([str(i) for i in range(30)], videos, confusions)

    def frame(metric: Callable[..., float], t: np.ndarray, p: np.ndarray) -> float:
        return 1.0 if not t.any() and not p.any() else float(metric(t, p))

    iou = np.array([frame(sk.jaccard_score, t, p) for t, p in frames])
    f1 = np.array([frame(sk.f1_score, t, p) for t, p in frames])
    per_video = {v: [i for i in range(30) if videos[i] == v] for v in set(videos)}
    assert abs(table.compute("frame_iou") - iou.mean()) < TOL  # type: ignore[operator]
    assert abs(table.compute("frame_f1") - f1.mean()) < TOL  # type: ignore[operator]
    video_iou = np.mean([iou[idx].mean() for idx in per_video.values()])
    assert abs(table.compute("video_iou") - video_iou) < TOL  # type: ignore[operator]


def test_detection_video_metrics_use_the_mean_frame_score() -> None:
    table = DetectionTable(
        ["a", "b", "c", "d", "e"],
        [1, 1, 0, 0, 1],
        [0.9, 0.1, 0.4, 0.2, 0.6],
        ["x", "x", "y", "y", "z"],
    )
    assert table.units == ("x", "y", "z")
    assert np.allclose(table.video_scores, [0.5, 0.3, 0.6])
    assert table.compute("video_auc") == sk.roc_auc_score([1, 0, 1], [0.5, 0.3, 0.6])
    assert table.compute("video_acc") == pytest.approx(2 / 3)


def test_unknown_metric_and_bad_weights_are_errors() -> None:
    table = retrieval(np.random.default_rng(0), 5)
    with pytest.raises(ValueError, match="unknown retrieval metric"):
        table.compute("auc")
    with pytest.raises(ValueError, match="unit weights"):
        table.compute("map", np.ones(3))


@pytest.mark.parametrize("key", sorted(BUILDERS))
def test_save_and_load_round_trip(key: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    table = BUILDERS[key](np.random.default_rng(5), 10)
    table.save(tmp_path / "t.npz")
    loaded = load_table(tmp_path / "t.npz")
    assert type(loaded) is type(table) and loaded.units == table.units
    assert all(_close(table.compute(k), v) for k, v in loaded.compute_all().items())

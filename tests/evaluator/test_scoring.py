"""End to end: files on disk to the result object, for all four tasks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn import metrics as sk

from evaluator.scoring import evaluate, score_files
from evaluator.validation import PredictionError


def detection_files(tmp_path: Path, write_lines, videos: bool = False) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    truth, preds = [], []
    for i in range(40):
        label = (i // 4) % 2 if videos else i % 2
        row = {"id": f"s{i}", "label": label}
        if videos:
            row["video"] = f"v{i // 4}"
        truth.append(row)
        preds.append(
            {"id": f"s{i}", "score": float(np.clip(0.4 * label + rng.random() * 0.6, 0, 1))}
        )
    return (
        write_lines(tmp_path / "truth" / "truth.jsonl", truth),
        write_lines(tmp_path / "out" / "predictions.jsonl", preds),
    )


def test_detection(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    truth, preds = detection_files(tmp_path, write_lines)
    result = score_files("detection", truth, preds)
    labels = [json.loads(x)["label"] for x in truth.read_text().splitlines()]
    scores = [json.loads(x)["score"] for x in preds.read_text().splitlines()]
    assert result["auc"] == pytest.approx(sk.roc_auc_score(labels, scores), abs=1e-12)
    assert set(result) >= {"auc", "acc", "eer", "ap", "log_loss", "n", "ci", "protocol", "seed"}
    assert "video_auc" not in result
    low, high = result["ci"]["auc"]
    assert low <= result["auc"] <= high
    assert result["primary"] == "auc" and result["protocol"] == 1 and result["n"]["samples"] == 40
    json.dumps(result, allow_nan=False)


def test_frame_track_defaults_to_video_auc_with_video_resampling(
    tmp_path: Path, write_lines
) -> None:  # type: ignore[no-untyped-def]
    truth, preds = detection_files(tmp_path, write_lines, videos=True)
    result = score_files("detection", truth, preds, seed=3)
    assert result["primary"] == "video_auc" and result["resampling_unit"] == "video"
    assert result["n"]["videos"] == 10 and "video_log_loss" in result
    assert result["seed"] == 3
    assert score_files("detection", truth, preds, seed=3) == result  # deterministic


def localization_files(tmp_path: Path, write_lines, write_mask, authentic: bool = True):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    truth, preds, raw = [], [], []
    for i in range(12):
        label = 0 if authentic and i % 4 == 0 else 1
        shape = (20 + i, 30)
        pred = rng.integers(0, 256, shape, dtype=np.uint8)
        gt = None
        mask = None
        if label:
            gt = ((rng.random(shape) < 0.3) * 255).astype(np.uint8)
            mask = write_mask(tmp_path / "truth" / "gt" / f"{i}.png", gt)
        row = {"id": f"im{i}", "label": label, "mask": mask}
        if not label:
            row.update(width=shape[1], height=shape[0])
        truth.append(row)
        preds.append(
            {"id": f"im{i}", "mask": write_mask(tmp_path / "out" / "masks" / f"{i}.png", pred)}
        )
        raw.append((gt, pred))
    return (
        write_lines(tmp_path / "truth" / "truth.jsonl", truth),
        write_lines(tmp_path / "out" / "predictions.jsonl", preds),
        raw,
    )


def test_localization(tmp_path: Path, write_lines, write_mask) -> None:  # type: ignore[no-untyped-def]
    truth, preds, raw = localization_files(tmp_path, write_lines, write_mask)
    result = score_files("localization", truth, preds, n_resamples=200)
    f1 = np.mean(
        [sk.f1_score((g >= 128).ravel(), (p >= 128).ravel()) for g, p in raw if g is not None]
    )
    assert result["pixel_f1"] == pytest.approx(f1, abs=1e-12)
    labels = [int(g is not None) for g, _ in raw]
    image_scores = [p.max() / 255 for _, p in raw]  # no score given: max(mask) / 255
    assert result["image_auc"] == pytest.approx(sk.roc_auc_score(labels, image_scores), abs=1e-12)
    assert result["n"]["authentic"] == 3
    # The primary's interval, then the optional (deployment) columns', on the same resamples.
    assert list(result["ci"]) == [
        "pixel_f1",
        "map_image_auc",
        "map_image_f1",
        "map_image_acc",
        "optimistic_pixel_f1",
    ]


def test_localization_only_manipulated_has_null_image_metrics(
    tmp_path: Path, write_lines, write_mask
) -> None:  # type: ignore[no-untyped-def]
    truth, preds, _ = localization_files(tmp_path, write_lines, write_mask, authentic=False)
    result = score_files("localization", truth, preds, n_resamples=50)
    assert result["image_auc"] is None and result["image_f1"] is None
    assert result["pixel_f1"] is not None


def test_wrong_mask_size_lists_every_offender(tmp_path: Path, write_lines, write_mask) -> None:  # type: ignore[no-untyped-def]
    truth, preds, _ = localization_files(tmp_path, write_lines, write_mask)
    for i in (2, 5):
        write_mask(tmp_path / "out" / "masks" / f"{i}.png", np.zeros((3, 3), np.uint8))
    with pytest.raises(PredictionError) as info:
        score_files("localization", truth, preds)
    assert info.value.code == "bad_mask"
    assert [line for line, _ in info.value.offenders] == [3, 6]


def test_symlinked_mask_is_refused(tmp_path: Path, write_lines, write_mask) -> None:  # type: ignore[no-untyped-def]
    truth, preds, _ = localization_files(tmp_path, write_lines, write_mask)
    target = tmp_path / "out" / "masks" / "1.png"
    target.unlink()
    target.symlink_to(tmp_path / "truth" / "gt" / "1.png")
    with pytest.raises(PredictionError) as info:
        score_files("localization", truth, preds)
    assert info.value.code == "symlink"


def test_retrieval(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    truth = write_lines(
        tmp_path / "truth.jsonl",
        [{"id": "q1", "relevant": ["g1"]}, {"id": "q2", "relevant": ["g2", "g3"]}],
    )
    preds = write_lines(
        tmp_path / "out" / "p.jsonl",
        [{"id": "q1", "ranking": ["g1", "g9"]}, {"id": "q2", "ranking": ["g9", "g3"]}],
    )
    result = score_files("retrieval", truth, preds, n_resamples=100)
    assert result["r@1"] == 0.5 and result["r@5"] == 1.0
    assert result["map"] == pytest.approx((1 + 0.25) / 2)
    assert result["primary"] == "r@1" and result["resampling_unit"] == "query"


def test_video_localization(tmp_path: Path, write_lines, write_mask) -> None:  # type: ignore[no-untyped-def]
    full = np.full((4, 4), 255, np.uint8)
    empty = np.zeros((4, 4), np.uint8)
    truth_rows, pred_rows = [], []
    # v1: frame 0 perfect, frame 1 both empty (scores 1); v2: one frame missed entirely
    cases = [("v1", 0, full, full), ("v1", 1, None, empty), ("v2", 0, full, empty)]
    for k, (video, frame, gt, pred) in enumerate(cases):
        mask = None if gt is None else write_mask(tmp_path / "t" / "gt" / f"{k}.png", gt)
        truth_rows.append({"id": f"f{k}", "video": video, "frame": frame, "mask": mask})
        pred_rows.append(
            {"id": f"f{k}", "mask": write_mask(tmp_path / "o" / "m" / f"{k}.png", pred)}
        )
    truth = write_lines(tmp_path / "t" / "truth.jsonl", truth_rows)
    preds = write_lines(tmp_path / "o" / "p.jsonl", pred_rows)
    result = score_files("video_localization", truth, preds, n_resamples=100)
    assert result["frame_iou"] == pytest.approx(2 / 3)
    assert result["video_iou"] == pytest.approx(0.5)
    assert result["resampling_unit"] == "video" and result["n"] == {"frames": 3, "videos": 2}


def test_unknown_primary_is_an_error(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    truth, preds = detection_files(tmp_path, write_lines)
    with pytest.raises(ValueError, match="primary"):
        score_files("detection", truth, preds, primary="video_auc")
    result = evaluate("detection", truth, preds, primary="eer", n_resamples=50)
    assert result.table.task == "detection"
    assert list(result.result["ci"]) == [
        "eer",
        "tpr@fpr0.01",
        "tpr@fpr0.001",
        "bacc",
        "ece",
        "brier",
    ]
    assert all(low <= result.result[k] <= high for k, (low, high) in result.result["ci"].items())

"""Smoke-Localize, Smoke-Retrieve, Smoke-VideoInpaint: determinism, opacity, and truth that the
platform's own scorer accepts (perfect answers score 1, chance answers do not)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from benchmarks.smoke.localize import build_localization_split
from benchmarks.smoke.retrieve import build_retrieval_split
from benchmarks.smoke.videoinpaint import build_video_inpaint_split
from evaluator.scoring import score_files

BUILDERS = {
    "localization": (build_localization_split, 12),
    "retrieval": (build_retrieval_split, 6),
    "video_localization": (build_video_inpaint_split, 4),
}


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _build(task: str, root: Path, seed: int = 3, split: str = "val") -> Path:
    builder, count = BUILDERS[task]
    builder(
        inputs_dir=root / "in", labels_dir=root / "lab", split=split, count=count, seed=seed,
        track=f"smoke-{task}",
    )  # fmt: skip
    return root


@pytest.mark.parametrize("task", sorted(BUILDERS))
def test_byte_identical_and_opaque(task: str, tmp_path: Path) -> None:
    a, b = _build(task, tmp_path / "a"), _build(task, tmp_path / "b")
    assert _tree(a) == _tree(b)
    c = _build(task, tmp_path / "c", seed=4)
    assert _tree(c / "in") != _tree(a / "in")
    inputs = _tree(a / "in")
    assert not any(name.endswith("truth.jsonl") or "mask" in name for name in inputs)
    manifest = (a / "in" / "manifest.jsonl").read_text()
    for word in ("label", "fake", "manipulated", "authentic", "relevant", "donor", "splice"):
        assert word not in manifest
    assert json.loads((a / "in" / "task.json").read_text())["task"] == task


def _perfect_predictions(task: str, root: Path, out: Path) -> Path:
    out.mkdir()
    truth = _jsonl(root / "lab" / "truth.jsonl")
    lines = []
    if task == "retrieval":
        for row in truth:
            lines.append({"id": row["id"], "ranking": row["relevant"]})
    else:
        (out / "masks").mkdir()
        for n, row in enumerate(truth):
            name = f"masks/{n}.png"
            if row["mask"]:
                shutil.copyfile(root / "lab" / row["mask"], out / name)
            else:
                Image.new("L", (row["width"], row["height"]), 0).save(out / name)
            line = {"id": row["id"], "mask": name}
            if task == "localization":
                line["score"] = float(row["label"])
            lines.append(line)
    path = out / "predictions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


@pytest.mark.parametrize("task", sorted(BUILDERS))
def test_perfect_answers_score_one_against_the_truth(task: str, tmp_path: Path) -> None:
    root = _build(task, tmp_path / "s")
    predictions = _perfect_predictions(task, root, tmp_path / "out")
    result = score_files(task, root / "lab" / "truth.jsonl", predictions, n_resamples=50)
    primary = result["primary"]
    assert result[primary] == pytest.approx(1.0)


def test_localization_masks_cover_exactly_the_manipulated_pixels(tmp_path: Path) -> None:
    root = _build("localization", tmp_path / "s", seed=9)
    provenance = {r["id"]: r for r in _jsonl(root / "lab" / "provenance.jsonl")}
    truth = _jsonl(root / "lab" / "truth.jsonl")
    kinds = {provenance[r["id"]]["kind"] for r in truth}
    assert "authentic" in kinds and len(kinds) >= 3
    for row in truth:
        record = provenance[row["id"]]
        if row["label"] == 0:
            assert row["mask"] is None and record["kind"] == "authentic"
            continue
        mask = np.asarray(Image.open(root / "lab" / row["mask"])) >= 128
        x0, y0, x1, y1 = record["box"]
        assert mask.any() and not mask[:y0].any() and not mask[y1:].any()
        assert not mask[:, :x0].any() and not mask[:, x1:].any()
        if record["kind"] == "inpaint":  # the filled region really changed
            image = np.asarray(Image.open(root / "in" / "images" / f"{row['id']}.png"))
            assert image.shape == (128, 128, 3)


def test_retrieval_relevance_is_the_donors_and_they_are_in_the_gallery(tmp_path: Path) -> None:
    root = _build("retrieval", tmp_path / "s")
    manifest = {r["id"]: r for r in _jsonl(root / "in" / "manifest.jsonl")}
    provenance = {r["id"]: r for r in _jsonl(root / "lab" / "provenance.jsonl")}
    truth = _jsonl(root / "lab" / "truth.jsonl")
    assert len(truth) == 6
    for row in truth:
        assert manifest[row["id"]]["role"] == "query"
        donors = sorted(p["donor"] for p in provenance[row["id"]]["patches"])
        assert row["relevant"] == donors
        assert all(manifest[d]["role"] == "gallery" for d in donors)
        # The spliced patch really is the donor's pixels (up to blending at the seam).
        query = np.asarray(Image.open(root / "in" / manifest[row["id"]]["path"]), dtype=float)
        for patch in provenance[row["id"]]["patches"]:
            donor = np.asarray(Image.open(root / "in" / manifest[patch["donor"]]["path"]), float)
            x0, y0, x1, y1 = patch["box"]
            sx, sy, sx1, sy1 = patch["donor_box"]
            inner = (
                query[y0 + 6 : y1 - 6, x0 + 6 : x1 - 6] - donor[sy + 6 : sy1 - 6, sx + 6 : sx1 - 6]
            )
            assert np.abs(inner).mean() < 1.0


def test_video_masks_move_and_authentic_videos_are_empty(tmp_path: Path) -> None:
    root = _build("video_localization", tmp_path / "s")
    truth = _jsonl(root / "lab" / "truth.jsonl")
    videos: dict[str, list[dict[str, Any]]] = {}
    for row in truth:
        videos.setdefault(row["video"], []).append(row)
    assert len(videos) == 4 and all(len(v) == 8 for v in videos.values())
    empty = [v for v, rows in videos.items() if all(r["mask"] is None for r in rows)]
    assert len(empty) == 1
    moving = next(rows for v, rows in videos.items() if v not in empty)
    first = np.asarray(Image.open(root / "lab" / moving[0]["mask"])) >= 128
    last = np.asarray(Image.open(root / "lab" / moving[-1]["mask"])) >= 128
    assert first.any() and last.any()

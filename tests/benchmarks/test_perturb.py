"""Robustness perturbations: real JPEG, seeded noise, blur, down-up resize, H.264 CRF; recorded."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from benchmarks.perturb import PerturbError, level_slug, perturb_image, perturb_split
from benchmarks.smoke.detect import build_detection_split
from evaluator.truth import load_truth
from tests.benchmarks.media import mp4


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("source")
    build_detection_split(
        inputs_dir=root / "in", labels_dir=root / "lab", split="test", count=12, seed=5
    )
    return root


def _perturb(source: Path, out: Path, kind: str, level: float | None, **kw: Any) -> dict:
    return perturb_split(
        task="detection",
        inputs_dir=source / "in",
        labels_path=source / "lab" / "truth.jsonl",
        out_inputs=out / "in",
        out_labels=out / "lab",
        kind=kind,
        level=level,
        seed=7,
        track="t/robust",
        **kw,
    )


def test_level_names() -> None:
    assert level_slug("none", None) == "clean"
    assert level_slug("jpeg", 90) == "jpeg-q90"
    assert level_slug("blur", 0.5) == "blur-s0_5"
    assert level_slug("resize", 0.25) == "resize-x0_25"
    assert level_slug("h264", 23) == "h264-crf23"


def test_jpeg_is_real_jpeg_and_lower_quality_is_smaller(source: Path, tmp_path: Path) -> None:
    sizes = {}
    for q in (90, 30):
        record = _perturb(source, tmp_path / str(q), "jpeg", q)
        assert record["perturbation"] == "jpeg" and record["level"] == q and record["seed"] == 7
        files = sorted((tmp_path / str(q) / "in" / "images").iterdir())
        assert files and all(
            f.suffix == ".jpg" and f.read_bytes()[:3] == b"\xff\xd8\xff" for f in files
        )
        with Image.open(files[0]) as img:
            assert img.format == "JPEG" and img.size == (128, 128)
        sizes[q] = sum(f.stat().st_size for f in files)
    assert sizes[30] < sizes[90]


def test_labels_follow_the_samples_under_fresh_ids(source: Path, tmp_path: Path) -> None:
    _perturb(source, tmp_path / "n", "noise", 5)
    clean = {r["id"]: r["label"] for r in _jsonl(source / "lab" / "truth.jsonl")}
    truth = _jsonl(tmp_path / "n" / "lab" / "truth.jsonl")
    mapping = {r["id"]: r["source_id"] for r in _jsonl(tmp_path / "n" / "lab" / "provenance.jsonl")}
    assert not set(mapping) & set(clean), "perturbed ids must not reveal the clean ids"
    assert all(clean[mapping[r["id"]]] == r["label"] for r in truth)
    load_truth("detection", tmp_path / "n" / "lab" / "truth.jsonl")
    manifest = _jsonl(tmp_path / "n" / "in" / "manifest.jsonl")
    assert {r["id"] for r in manifest} == {r["id"] for r in truth}
    recorded = json.loads((tmp_path / "n" / "lab" / "perturbation.json").read_text())
    assert recorded["source_manifest_sha256"] and "N(0, level)" in recorded["implementation"]


def test_seeded_and_byte_identical(source: Path, tmp_path: Path) -> None:
    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    _perturb(source, tmp_path / "a", "noise", 10)
    _perturb(source, tmp_path / "b", "noise", 10)
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_each_image_perturbation_changes_pixels_as_intended() -> None:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)

    def decode(data: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)

    noisy = decode(perturb_image(pixels, "noise", 20, np.random.default_rng(1))[0])
    assert 15 < np.std(noisy - pixels) < 21
    blurred = decode(perturb_image(pixels, "blur", 2, rng)[0])
    assert (
        np.abs(np.diff(blurred, axis=1)).mean()
        < 0.3 * np.abs(np.diff(pixels.astype(float), axis=1)).mean()
    )
    resized = decode(perturb_image(pixels, "resize", 0.5, rng)[0])
    assert resized.shape == pixels.shape and not np.array_equal(resized, pixels)
    with pytest.raises(PerturbError, match="does not apply to images"):
        perturb_image(pixels, "h264", 23, rng)


def test_sample_is_class_balanced(source: Path, tmp_path: Path) -> None:
    record = _perturb(source, tmp_path / "s", "none", None, sample=6)
    truth = _jsonl(tmp_path / "s" / "lab" / "truth.jsonl")
    assert record["samples"] == 6
    assert sorted(r["label"] for r in truth) == [0, 0, 0, 1, 1, 1]


def test_h264_reencodes_videos_and_refuses_image_perturbations(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "in" / "videos").mkdir(parents=True)
    (src / "lab").mkdir()
    rows = []
    for n, label in enumerate((0, 1, 0, 1)):
        mp4(src / "in" / "videos" / f"v{n}.mp4", seed=n)
        rows.append({"id": f"v{n}", "label": label})
    (src / "in" / "task.json").write_text('{"protocol": 1, "task": "detection"}')
    (src / "in" / "manifest.jsonl").write_text(
        "".join(json.dumps({"id": r["id"], "path": f"videos/{r['id']}.mp4"}) + "\n" for r in rows)
    )
    (src / "lab" / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    sizes = []
    for crf in (23, 40):
        _perturb(src, tmp_path / str(crf), "h264", crf)
        videos = sorted((tmp_path / str(crf) / "in" / "videos").iterdir())
        assert len(videos) == 4
        with av.open(str(videos[0])) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            assert sum(1 for _ in container.decode(stream)) == 6
        sizes.append(sum(v.stat().st_size for v in videos))
    assert sizes[1] < sizes[0]
    _perturb(src, tmp_path / "again", "h264", 23)
    again = tmp_path / "again" / "in" / "videos"
    for video in (tmp_path / "23" / "in" / "videos").iterdir():
        assert video.read_bytes() == (again / video.name).read_bytes()
    with pytest.raises(PerturbError, match="videos take h264"):
        _perturb(src, tmp_path / "bad", "jpeg", 90)

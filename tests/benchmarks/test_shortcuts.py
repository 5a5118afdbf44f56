"""The shortcut scan: trivial file and name properties that separate the labels are flagged,
real smoke sets pass clean, and chance fluctuation on a small split raises no flag."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.JpegImagePlugin import JpegImageFile

from benchmarks.importers import import_split
from benchmarks.shortcuts import describe, jpeg_quality, scan_split
from benchmarks.smoke.detect import build_detection_split
from benchmarks.smoke.localize import build_localization_split
from tests.benchmarks import media


def _write_split(root: Path, samples: list[tuple[int, str, bytes]]) -> tuple[Path, Path]:
    """A written split: (label, suffix, file bytes) per sample, ids of one length."""
    inputs, labels = root / "in", root / "lab"
    (inputs / "images").mkdir(parents=True)
    labels.mkdir(parents=True)
    manifest, truth = [], []
    for n, (label, suffix, data) in enumerate(samples):
        ident = f"{n:012x}"
        (inputs / "images" / f"{ident}{suffix}").write_bytes(data)
        manifest.append({"id": ident, "path": f"images/{ident}{suffix}"})
        truth.append({"id": ident, "label": label})
    (inputs / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in manifest))
    (labels / "truth.jsonl").write_text("".join(json.dumps(r) + "\n" for r in truth))
    return inputs, labels / "truth.jsonl"


def _encoded(pixels: np.ndarray, fmt: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _photo(rng: np.random.Generator, size: int = 48) -> np.ndarray:
    base = rng.integers(0, 256, size=(size // 8, size // 8, 3), dtype=np.uint8)
    return np.kron(base, np.ones((8, 8, 1), dtype=np.uint8))  # blocky: compresses like a photo


@pytest.mark.parametrize("quality", [30, 50, 75, 90, 95])
def test_jpeg_quality_estimate_recovers_the_encoder_setting(quality: int) -> None:
    data = _encoded(_photo(np.random.default_rng(0)), "JPEG", quality=quality)
    with Image.open(io.BytesIO(data)) as img:
        assert isinstance(img, JpegImageFile)
        assert jpeg_quality(img.quantization[0]) == quality


def test_casia_style_format_and_size_differences_are_flagged(tmp_path: Path) -> None:
    # Authentic images stored as JPEG, tampered ones as PNG (the CASIA v2.0 case), and the
    # tampered ones a little larger.
    rng = np.random.default_rng(1)
    samples = [(0, ".jpg", _encoded(_photo(rng), "JPEG", quality=90)) for _ in range(30)]
    samples += [(1, ".png", _encoded(_photo(rng, 56), "PNG")) for _ in range(30)]
    scan = scan_split(*_write_split(tmp_path, samples))
    assert scan["scanned"] and scan["units"] == 60 and scan["classes"] == {"0": 30, "1": 30}
    features = scan["features"]
    assert features["format"]["auc"] == 1.0 and features["format"]["flagged"]
    assert features["width"]["auc"] == 1.0 and features["width"]["ci"] == [1.0, 1.0]
    assert features["jpeg_quality"]["separation"] == 1.0  # PNGs have none (-1)
    assert not features["id_length"]["flagged"] and features["id_length"]["auc"] == 0.5
    assert scan["combined"]["auc"] > 0.95 and scan["combined"]["folds"] == 5
    assert {"format", "width", "height", "jpeg_quality", "combined"} <= set(scan["flagged"])
    assert describe(scan).startswith("shortcut scan: FLAGGED ") and "format AUC 1.000" in describe(
        scan
    )


def test_a_feature_marking_the_real_class_is_flagged_too(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    samples = [(0, ".png", _encoded(_photo(rng, 64), "PNG")) for _ in range(20)]
    samples += [(1, ".png", _encoded(_photo(rng, 32), "PNG")) for _ in range(20)]
    width = scan_split(*_write_split(tmp_path, samples))["features"]["width"]
    assert width["auc"] == 0.0 and width["separation"] == 1.0 and width["flagged"]


def test_no_cue_no_flag_even_on_a_small_split(tmp_path: Path) -> None:
    # Same format and size; labels drawn at random: sizes in bytes fluctuate, nothing is flagged.
    rng = np.random.default_rng(3)
    samples = [(int(rng.integers(2)), ".png", _encoded(_photo(rng), "PNG")) for _ in range(40)]
    samples[0] = (0, *samples[0][1:])
    samples[1] = (1, *samples[1][1:])
    scan = scan_split(*_write_split(tmp_path, samples))
    assert scan["scanned"] and scan["flagged"] == []
    assert describe(scan).startswith("shortcut scan: clean")


def test_one_class_or_no_class_is_not_scanned(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    scan = scan_split(*_write_split(tmp_path, [(1, ".png", _encoded(_photo(rng), "PNG"))] * 3))
    assert scan == {"scanned": False, "reason": "the split holds one class"}


def test_video_length_is_caught_on_whole_video_tracks(tmp_path: Path) -> None:
    # Real videos are shorter than fake ones: frame count, duration and size give them away.
    root = tmp_path / "copy"
    lines = []
    for n in range(8):
        real, fake = f"v/r{n}.mp4", f"v/f{n}.mp4"
        media.mp4(root / real, frames=3, seed=n)
        media.mp4(root / fake, frames=9, seed=100 + n)
        lines += [f"real {real}", f"fake {fake}"]
    (root / "lists").mkdir()
    (root / "lists" / "test.txt").write_text("\n".join(lines) + "\n")
    record = import_split(
        "videolist",
        root=root,
        split="test",
        options={"mode": "video"},
        inputs_dir=tmp_path / "in",
        labels_dir=tmp_path / "lab",
        track="t",
        id_key="k",
    )
    scan = record["shortcut_scan"]
    assert scan["features"]["frame_count"]["auc"] == 1.0
    assert scan["features"]["duration"]["auc"] == 1.0
    assert {"frame_count", "duration", "combined"} <= set(scan["flagged"])
    on_disk = json.loads((tmp_path / "lab" / "import.json").read_text())
    assert on_disk["shortcut_scan"] == scan
    # As sampled frames, the container sees 3 or 4 frames a video: still flagged, by count.
    frames = import_split(
        "videolist",
        root=root,
        split="test",
        options={"frames": 4},
        inputs_dir=tmp_path / "fin",
        labels_dir=tmp_path / "flab",
        track="t",
        id_key="k",
    )["shortcut_scan"]
    assert frames["units"] == 16 and frames["features"]["frame_count"]["flagged"]


@pytest.mark.parametrize(
    ("build", "count", "seed", "variant"),
    [
        (build_detection_split, 200, 1, None),
        (build_detection_split, 400, 2, None),
        (build_detection_split, 200, 3, "shifted"),
        (build_localization_split, 100, 21, None),
        (build_localization_split, 200, 22, None),
    ],
)
def test_smoke_sets_pass_clean(build, count, seed, variant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    options = {"variant": variant} if variant else {}
    split = "val" if seed in (1, 21) else "test"
    build(
        inputs_dir=tmp_path / "in",
        labels_dir=tmp_path / "lab",
        split=split,
        count=count,
        seed=seed,
        track="smoke",
        **options,
    )
    scan = scan_split(tmp_path / "in", tmp_path / "lab" / "truth.jsonl")
    assert scan["scanned"] and scan["flagged"] == [], describe(scan)

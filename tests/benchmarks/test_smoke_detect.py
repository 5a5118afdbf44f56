"""Smoke-Detect generator: determinism, balance, opacity of what containers see, disjoint splits."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from benchmarks.smoke import forge
from benchmarks.smoke.detect import build_detection_split, main
from benchmarks.smoke.photos import load_photos

COUNT = 40


def _generate(root: Path, split: str, seed: int, count: int = COUNT) -> dict[str, Any]:
    return build_detection_split(
        inputs_dir=root / "inputs", labels_dir=root / "labels", split=split, count=count, seed=seed
    )


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def val(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("val")
    _generate(root, "val", seed=11)
    return root


@pytest.fixture(scope="module")
def test_split(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("test")
    _generate(root, "test", seed=12)
    return root


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    first = _generate(tmp_path / "a", "val", seed=5, count=12)
    second = _generate(tmp_path / "b", "val", seed=5, count=12)
    assert first == second
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    other = _generate(tmp_path / "c", "val", seed=6, count=12)
    assert other["manifest_sha256"] != first["manifest_sha256"]


def test_classes_are_exactly_balanced_and_summary_matches_files(val: Path) -> None:
    truth = _jsonl(val / "labels" / "truth.jsonl")
    assert sorted(r["label"] for r in truth) == [0] * (COUNT // 2) + [1] * (COUNT // 2)
    assert [r["id"] for r in truth] == sorted(r["id"] for r in truth)
    manifest = (val / "inputs" / "manifest.jsonl").read_bytes()
    summary = _generate(val.parent / "again", "val", seed=11)
    assert summary["classes"] == {"authentic": COUNT // 2, "manipulated": COUNT // 2}
    assert summary["manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    truth_bytes = (val / "labels" / "truth.jsonl").read_bytes()
    assert summary["truth_sha256"] == hashlib.sha256(truth_bytes).hexdigest()


def test_inputs_hold_only_the_contract_files_and_no_labels(val: Path) -> None:
    inputs = val / "inputs"
    task = json.loads((inputs / "task.json").read_text())
    assert task == {
        "protocol": 1,
        "task": "detection",
        "track": "smoke-detect",
        "outputs": "predictions.jsonl",
    }
    names = {str(p.relative_to(inputs)) for p in inputs.rglob("*") if p.is_file()}
    manifest = _jsonl(inputs / "manifest.jsonl")
    assert names == {"task.json", "manifest.jsonl"} | {m["path"] for m in manifest}
    text = (inputs / "manifest.jsonl").read_text() + " ".join(sorted(names))
    for word in ("fake", "real", "label", "authentic", "manipulat", "splice", "copymove"):
        assert word not in text.lower()


def test_ids_are_opaque_and_paths_exist(val: Path) -> None:
    inputs = val / "inputs"
    manifest = _jsonl(inputs / "manifest.jsonl")
    assert len(manifest) == COUNT
    assert len({m["id"] for m in manifest}) == COUNT
    for m in manifest:
        assert set(m) == {"id", "path"}
        assert re.fullmatch(r"[0-9a-f]{12}", m["id"])
        assert m["path"] == f"images/{m['id']}.png"
        with Image.open(inputs / m["path"]) as img:
            assert (img.format, img.mode, img.size) == ("PNG", "RGB", (forge.SIZE, forge.SIZE))


def _label_changes(labels: list[int]) -> int:
    return sum(a != b for a, b in itertools.pairwise(labels))


def test_order_does_not_group_labels(val: Path) -> None:
    truth = {r["id"]: r["label"] for r in _jsonl(val / "labels" / "truth.jsonl")}
    in_manifest = [truth[m["id"]] for m in _jsonl(val / "inputs" / "manifest.jsonl")]
    by_id = [truth[i] for i in sorted(truth)]
    # A random order of 20 + 20 has about 20 label changes; grouped orders have 1.
    assert _label_changes(in_manifest) >= COUNT // 4
    assert _label_changes(by_id) >= COUNT // 4
    assert in_manifest != by_id


def test_fakes_carry_a_real_manipulation_inside_their_box(val: Path) -> None:
    photos = {p.name: p.pixels for p in load_photos()}
    provenance = _jsonl(val / "labels" / "provenance.jsonl")
    assert {r["kind"] for r in provenance if r["label"] == 1} <= set(forge.KINDS)
    for r in provenance:
        x, y, w, h = r["crop"]
        original = photos[r["source"]][y : y + h, x : x + w]
        with Image.open(val / "inputs" / "images" / f"{r['id']}.png") as img:
            pixels = np.asarray(img)
        if r["label"] == 0:
            assert r["kind"] == "authentic"
            assert np.array_equal(pixels, original)
            continue
        x0, y0, x1, y1 = r["box"]
        changed = np.any(pixels != original, axis=2)
        assert changed[y0:y1, x0:x1].mean() > 0.2, r
        changed[y0:y1, x0:x1] = False
        assert not changed.any(), r


def _regions(root: Path) -> list[tuple[str, list[int]]]:
    out = []
    for r in _jsonl(root / "labels" / "provenance.jsonl"):
        out.append((r["source"], r["crop"]))
        if "donor" in r:
            out.append((r["donor"], r["donor_region"]))
    return out


def _overlap(a: list[int], b: list[int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def test_val_and_test_share_no_ids_images_or_photo_regions(val: Path, test_split: Path) -> None:
    val_ids = {r["id"] for r in _jsonl(val / "labels" / "truth.jsonl")}
    test_ids = {r["id"] for r in _jsonl(test_split / "labels" / "truth.jsonl")}
    assert not val_ids & test_ids

    def digests(root: Path) -> set[str]:
        return {hashlib.sha256(p.read_bytes()).hexdigest() for p in root.glob("inputs/images/*")}

    assert not digests(val) & digests(test_split)
    for photo, region in _regions(val):
        for other_photo, other in _regions(test_split):
            assert photo != other_photo or not _overlap(region, other)


@pytest.mark.parametrize("count", [0, 7])
def test_count_must_be_even_and_positive(tmp_path: Path, count: int) -> None:
    with pytest.raises(ValueError):
        _generate(tmp_path, "val", seed=1, count=count)


def test_refuses_labels_inside_inputs_and_non_empty_folders(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        build_detection_split(
            inputs_dir=tmp_path / "in", labels_dir=tmp_path / "in" / "labels", split="val",
            count=2, seed=1,
        )  # fmt: skip
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "stale.png").write_bytes(b"")
    with pytest.raises(FileExistsError):
        build_detection_split(
            inputs_dir=tmp_path / "full", labels_dir=tmp_path / "lab", split="val", count=2, seed=1
        )


def test_cli_writes_a_split_and_prints_its_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--inputs", str(tmp_path / "i"), "--labels", str(tmp_path / "l")]
    assert main([*args, "--split", "test", "--count", "4", "--seed", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["classes"] == {"authentic": 2, "manipulated": 2}
    assert (tmp_path / "l" / "truth.jsonl").is_file()

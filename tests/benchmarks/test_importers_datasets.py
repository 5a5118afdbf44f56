"""CASIA v2.0, DFD (inside FF++) and DFDC, each from a small tree in its real on-disk layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from benchmarks.importers import ImportProblems
from tests.benchmarks import media
from tests.benchmarks.test_importers import _assert_sealed, _import, _jsonl, _tree

# --- CASIA v2.0 ----------------------------------------------------------------------------

GT = "CASIA 2.0 Groundtruth"


def _casia2(root: Path) -> Path:
    # Tampered images are TIFF or JPEG, authentic ones JPEG, of other sizes: the known case.
    tampered = {
        "Tp_D_CNN_M_N_ani00018_sec00096_00138.tif": (40, 32),
        "Tp_S_NNN_S_N_arc00013_arc00013_01110.jpg": (40, 32),
        "Tp_D_NRD_S_N_cha10002_cha10001_20094.jpg": (40, 32),
    }
    for n, (name, size) in enumerate(tampered.items()):
        media.image(root / "Tp" / name, size=size, seed=n)
        media.mask(root / GT / f"{Path(name).stem}_gt.png", size=size)
    # The released ground truth names one mask ..._gt3.png (a known mismatch), and holds one
    # mask whose image is not in Tp/.
    (root / GT / "Tp_D_NRD_S_N_cha10002_cha10001_20094_gt.png").rename(
        root / GT / "Tp_D_NRD_S_N_cha10002_cha10001_20094_gt3.png"
    )
    media.mask(root / GT / "Tp_S_NNN_S_N_xyz00001_xyz00001_00001_gt.png", size=(40, 32))
    for n in range(4):
        media.image(root / "Au" / f"Au_ani_0000{n}.jpg", size=(24, 16), seed=10 + n)
    return root


def test_casia2_reports_every_mismatch_by_name(tmp_path: Path) -> None:
    root = _casia2(tmp_path / "CASIA2")
    with pytest.raises(ImportProblems) as caught:
        _import("casia2", root, "all", tmp_path / "a")
    assert caught.value.problems == [
        "Tp/Tp_D_NRD_S_N_cha10002_cha10001_20094.jpg: no mask named "
        "Tp_D_NRD_S_N_cha10002_cha10001_20094_gt.png; found "
        "Tp_D_NRD_S_N_cha10002_cha10001_20094_gt3.png (rename it or map it in mask_renames)",
        f"{GT}/Tp_S_NNN_S_N_xyz00001_xyz00001_00001_gt.png: mask without an image of that name "
        "in Tp/",
    ]
    assert not (tmp_path / "a").exists() or not any((tmp_path / "a").rglob("*.jsonl"))


def test_casia2_imports_with_the_mismatch_resolved_and_flags_the_format_shortcut(
    tmp_path: Path,
) -> None:
    root = _casia2(tmp_path / "CASIA2")
    (root / GT / "Tp_S_NNN_S_N_xyz00001_xyz00001_00001_gt.png").unlink()
    renames = {
        "Tp_D_NRD_S_N_cha10002_cha10001_20094.jpg": "Tp_D_NRD_S_N_cha10002_cha10001_20094_gt3.png"
    }
    record = _import("casia2", root, "all", tmp_path / "a", mask_renames=renames)
    _assert_sealed(tmp_path / "a", "localization")
    assert record["classes"] == {"0": 4, "1": 3} and record["mask_renames"] == renames
    truth = _jsonl(tmp_path / "a" / "lab" / "truth.jsonl")
    assert sum(1 for r in truth if r["mask"]) == 3
    # Tampered 40x32 (TIFF among them), authentic 24x16 JPEG: the scan says so.
    scan = record["shortcut_scan"]
    assert scan["features"]["width"]["auc"] == 1.0 and "width" in scan["flagged"]
    # Or leave the unmatched image out, by name.
    skipped = _import("casia2", root, "all", tmp_path / "b", unmatched="skip")
    assert skipped["left_out"] == ["Tp_D_NRD_S_N_cha10002_cha10001_20094.jpg"]
    assert skipped["classes"] == {"0": 4, "1": 2}
    _import("casia2", root, "all", tmp_path / "c", mask_renames=renames)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "c")


# --- DFD inside the FF++ tree ----------------------------------------------------------------


def _dfd(root: Path) -> Path:
    for n in range(2):
        media.mp4(root / "original_sequences/actors/c23/videos" / f"01__talking_{n}.mp4", seed=n)
    for n in range(3):
        name = f"01_02__talking_{n}__YVGY8LOK.mp4"
        media.mp4(root / "manipulated_sequences/DeepFakeDetection/c23/videos" / name, seed=9 + n)
    return root


def test_dfd_from_the_ffpp_tree(tmp_path: Path) -> None:
    root = _dfd(tmp_path / "FaceForensics++")
    record = _import("dfd", root, "all", tmp_path / "a", frames=4)
    _assert_sealed(tmp_path / "a", "detection")
    assert record["classes"] == {"0": 8, "1": 12} and record["units"] == 5
    assert record["compression"] == "c23" and record["frames_per_video"] == 4
    with pytest.raises(ImportProblems, match="DeepFakeDetection/c40/videos: missing"):
        _import("dfd", root, "all", tmp_path / "b", compression="c40")
    (root / "lists").mkdir()
    (root / "lists" / "some.txt").write_text(
        "01__talking_0.mp4\n01_02__talking_0__YVGY8LOK.mp4\nnope.mp4\n"
    )
    with pytest.raises(ImportProblems, match=r"nope\.mp4 is not a DFD video"):
        _import("dfd", root, "lists/some.txt", tmp_path / "c")


# --- DFDC ------------------------------------------------------------------------------------


def _dfdc(root: Path) -> Path:
    labels = {"dfdc_train_part_0": {"aaa.mp4": "REAL", "bbb.mp4": "FAKE"},
              "dfdc_train_part_1": {"ccc.mp4": "FAKE", "ddd.mp4": "REAL"}}  # fmt: skip
    for n, (part, videos) in enumerate(labels.items()):
        meta = {}
        for k, (name, label) in enumerate(videos.items()):
            media.mp4(root / part / name, seed=10 * n + k)
            meta[name] = {"label": label, "split": "train"}
            if label == "FAKE":
                meta[name]["original"] = "xyz.mp4"
        (root / part / "metadata.json").write_text(json.dumps(meta))
    (root / "test").mkdir()
    with (root / "test" / "labels.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["filename", "label"])
        for k, test_label in enumerate([0, 1, 1, 0]):
            media.mp4(root / "test" / "videos" / f"t{k}.mp4", seed=50 + k)
            writer.writerow([f"t{k}.mp4", test_label])
    return root


def test_dfdc_train_parts_and_the_test_label_csv(tmp_path: Path) -> None:
    root = _dfdc(tmp_path / "dfdc")
    train = _import("dfdc", root, "train", tmp_path / "a", mode="video")
    _assert_sealed(tmp_path / "a", "detection")
    assert train["classes"] == {"0": 2, "1": 2}
    provenance = _jsonl(tmp_path / "a" / "lab" / "provenance.jsonl")
    assert sorted(p.get("original", "") for p in provenance) == ["", "", "xyz.mp4", "xyz.mp4"]
    one_part = _import("dfdc", root, "part-1", tmp_path / "p", mode="video")
    assert one_part["classes"] == {"0": 1, "1": 1}
    test = _import("dfdc", root, "test", tmp_path / "b", frames=3)
    assert test["classes"] == {"0": 6, "1": 6} and test["units"] == 4
    # Strict: a listed video that is missing, an unlisted one, a bad label.
    (root / "dfdc_train_part_0" / "aaa.mp4").unlink()
    media.mp4(root / "dfdc_train_part_1" / "eee.mp4", seed=99)
    rows = (root / "test" / "labels.csv").read_text().replace("t3.mp4,0", "t3.mp4,FAKE")
    (root / "test" / "labels.csv").write_text(rows)
    with pytest.raises(ImportProblems) as caught:
        _import("dfdc", root, "train", tmp_path / "c")
    assert caught.value.problems == [
        "dfdc_train_part_0/metadata.json: aaa.mp4: the video does not exist",
        "dfdc_train_part_1/eee.mp4: not in its metadata.json",
    ]
    with pytest.raises(ImportProblems, match=r"labels.csv:5: label must be 0 or 1, got 'FAKE'"):
        _import("dfdc", root, "test", tmp_path / "d")


# --- IMD2020 ---------------------------------------------------------------------------------


def test_imd2020_folders_of_originals_and_manipulated_versions(tmp_path: Path) -> None:
    root = tmp_path / "IMD2020"
    media.image(root / "1a1ogs" / "1a1ogs_orig.jpg", seed=1)
    media.image(root / "1a1ogs" / "c8tf5mq_0.png", seed=2)
    media.mask(root / "1a1ogs" / "c8tf5mq_0_mask.png")
    media.image(root / "1a3oag" / "1a3oag_orig.jpg", seed=3)
    media.image(root / "1a3oag" / "c8tt7fg_0.jpg", seed=4)
    media.image(root / "1a3oag" / "c8tt7fg_1.jpg", seed=5)
    media.mask(root / "1a3oag" / "c8tt7fg_0_mask.png")
    with pytest.raises(ImportProblems) as caught:
        _import("imd2020", root, "all", tmp_path / "a")
    assert caught.value.problems == [
        "1a3oag/c8tt7fg_1.jpg: no mask named 1a3oag/c8tt7fg_1_mask.png"
    ]
    media.mask(root / "1a3oag" / "c8tt7fg_1_mask.png")
    record = _import("imd2020", root, "all", tmp_path / "b")
    _assert_sealed(tmp_path / "b", "localization")
    assert record["classes"] == {"0": 2, "1": 3}


# --- DeeperForensics-1.0 -------------------------------------------------------------------


def test_deeperforensics_fakes_and_their_ffpp_originals(tmp_path: Path) -> None:
    root = tmp_path / "DeeperForensics-1.0"
    originals = tmp_path / "FaceForensics++/original_sequences/youtube/c23/videos"
    for n, name in enumerate(("000_M101.mp4", "001_W102.mp4", "002_M103.mp4")):
        media.mp4(root / "manipulated_videos/end_to_end" / name, seed=n)
    media.mp4(originals / "000.mp4", seed=10)
    media.mp4(originals / "001.mp4", seed=11)
    (root / "lists/splits").mkdir(parents=True)
    (root / "lists/splits/test.txt").write_text("000_M101.mp4\n001_W102.mp4\n002_M103.mp4\n")
    opts = {"originals": "../FaceForensics++/original_sequences/youtube/c23/videos", "frames": 2}
    with pytest.raises(ImportProblems) as caught:
        _import("deeperforensics", root, "test", tmp_path / "a", **opts)
    assert caught.value.problems == ["originals: 002.mp4 (the real video of 002_*) is missing"]
    media.mp4(originals / "002.mp4", seed=12)
    record = _import("deeperforensics", root, "test", tmp_path / "b", **opts)
    _assert_sealed(tmp_path / "b", "detection")
    assert record["classes"] == {"0": 6, "1": 6} and record["units"] == 6
    with pytest.raises(ImportProblems, match="option originals"):
        _import("deeperforensics", root, "test", tmp_path / "c", frames=2)

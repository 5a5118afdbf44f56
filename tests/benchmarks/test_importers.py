"""Importers on tiny trees in each dataset's real layout: sealed, opaque, deterministic, strict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data

from benchmarks.importers import ImportProblems, import_split
from evaluator.truth import load_truth
from tests.benchmarks import media

LEAKY = ("fake", "real", "manipulated", "original", "deepfakes", "face2face", "synthesis",
         "tp/", "au/", "gt", "forged", "splc", "auth", "inpainted")  # fmt: skip


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _import(kind: str, root: Path, split: str, out: Path, **options: Any) -> dict[str, Any]:
    return import_split(
        kind,
        root=root,
        split=split,
        options=options,
        inputs_dir=out / "in",
        labels_dir=out / "lab",
        track=f"test/{kind}",
        id_key="k",
    )


def _assert_sealed(out: Path, task: str) -> None:
    """What containers see reveals no label, and the truth loads with the platform's parser."""
    manifest = (out / "in" / "manifest.jsonl").read_text().lower()
    for word in LEAKY:
        assert word not in manifest, word
    for path in (out / "in").rglob("*"):
        assert not any(w in str(path.relative_to(out / "in")).lower() for w in LEAKY)
    assert not list((out / "in").rglob("truth.jsonl"))
    load_truth(task, out / "lab" / "truth.jsonl")
    record = json.loads((out / "lab" / "import.json").read_text())
    assert record["task"] == task and len(record["manifest_sha256"]) == 64


# --- FaceForensics++ ---------------------------------------------------------------------


def _ffpp(root: Path, *, missing: tuple[str, ...] = ()) -> Path:
    pairs = {
        "train": [["004", "005"]],
        "val": [["006", "007"]],
        "test": [["000", "001"], ["002", "003"]],
    }
    (root / "splits").mkdir(parents=True)
    for split, items in pairs.items():
        (root / "splits" / f"{split}.json").write_text(json.dumps(items))
    seed = 0
    for a, b in pairs["test"]:
        for name in (a, b):
            media.mp4(root / "original_sequences/youtube/c23/videos" / f"{name}.mp4", seed=seed)
            seed += 1
        for manip in ("Deepfakes", "Face2Face"):
            for name in (f"{a}_{b}", f"{b}_{a}"):
                if f"{manip}/{name}" not in missing:
                    path = root / "manipulated_sequences" / manip / "c23/videos" / f"{name}.mp4"
                    media.mp4(path, seed=seed)
                seed += 1
    return root


@pytest.fixture(scope="module")
def ffpp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _ffpp(tmp_path_factory.mktemp("ffpp") / "FaceForensics++")


def test_ffpp_frames_end_to_end(ffpp_root: Path, tmp_path: Path) -> None:
    opts = {"compression": "c23", "manipulations": ["Deepfakes", "Face2Face"], "frames": 4}
    record = _import("ffpp", ffpp_root, "test", tmp_path / "a", **opts)
    assert record["units"] == 4 + 8 and record["frames_per_video"] == 4
    assert record["face_crop"] == {"enabled": False}
    assert record["classes"] == {"0": 16, "1": 32}
    _assert_sealed(tmp_path / "a", "detection")
    manifest = _jsonl(tmp_path / "a" / "in" / "manifest.jsonl")
    assert all(row["path"].startswith(f"frames/{row['video']}/") for row in manifest)
    frame = Image.open(tmp_path / "a" / "in" / manifest[0]["path"])
    assert frame.size == (32, 32)
    # Same copy, same bytes.
    _import("ffpp", ffpp_root, "test", tmp_path / "b", **opts)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    # One manipulation alone, whole videos: the mp4 files are kept as they are.
    one = _import(
        "ffpp", ffpp_root, "test", tmp_path / "c", manipulations=["Face2Face"], mode="video"
    )
    assert one["classes"] == {"0": 4, "1": 4}
    videos = sorted((tmp_path / "c" / "in" / "videos").iterdir())
    sources = {p.read_bytes() for p in ffpp_root.rglob("*.mp4")}
    assert len(videos) == 8 and all(v.read_bytes() in sources for v in videos)


def test_sampled_frames_are_named_by_order_not_by_source_index(tmp_path: Path) -> None:
    # Videos of different lengths: the source indices of 4 evenly spaced frames differ
    # (0,2,3,5 for 6 frames; 0,4,7,11 for 12), the names a container sees must not.
    root = tmp_path / "copy"
    lengths = {"real/a.mp4": 6, "real/b.mp4": 12, "fake/c.mp4": 9, "fake/d.mp4": 20}
    for n, (rel, count) in enumerate(lengths.items()):
        media.mp4(root / rel, frames=count, seed=n)
    (root / "lists").mkdir()
    (root / "lists" / "test.txt").write_text(
        "".join(f"{'real' if rel.startswith('real') else 'fake'} {rel}\n" for rel in lengths)
    )
    _import("videolist", root, "test", tmp_path / "a", frames=4)
    manifest = _jsonl(tmp_path / "a" / "in" / "manifest.jsonl")
    by_video: dict[str, list[dict[str, Any]]] = {}
    for row in manifest:
        by_video.setdefault(row["video"], []).append(row)
    assert len(by_video) == 4
    for video, rows in by_video.items():
        assert sorted(r["id"] for r in rows) == [f"{video}-{k:04d}" for k in range(4)]
        assert sorted(r["path"] for r in rows) == [f"frames/{video}/{k:04d}.png" for k in range(4)]
    written = sorted(p.name for p in (tmp_path / "a" / "in" / "frames").rglob("*.png"))
    assert written == sorted([f"{k:04d}.png" for k in range(4)] * 4)
    # The source frame numbers stay in the sealed provenance.
    provenance = {r["source"]: r for r in _jsonl(tmp_path / "a" / "lab" / "provenance.jsonl")}
    assert provenance["real/a.mp4"]["source_frames"] == [0, 2, 3, 5]
    assert provenance["real/b.mp4"]["source_frames"] == [0, 4, 7, 11]


def test_ffpp_reports_every_missing_video(tmp_path: Path) -> None:
    root = _ffpp(tmp_path / "ff", missing=("Deepfakes/000_001", "Face2Face/003_002"))
    with pytest.raises(ImportProblems) as caught:
        _import("ffpp", root, "test", tmp_path / "out", compression="c23", frames=2)
    text = str(caught.value)
    assert "manipulated_sequences/Deepfakes/c23/videos/000_001.mp4" in text
    assert "manipulated_sequences/Face2Face/c23/videos/003_002.mp4" in text
    assert "FaceShifter" in text  # all five were asked for; this tree has two
    assert not (tmp_path / "out" / "in").exists(), "a refused import leaves nothing behind"
    with pytest.raises(ImportProblems, match=r"splits/holdout\.json: missing"):
        _import("ffpp", root, "holdout", tmp_path / "o2", manipulations=["Deepfakes"])


# A real face: the astronaut photo (512x512; her face lies in about x 160-300, y 60-230).
FRAME_W, FRAME_H = 448, 384
FACE_REGION = (160, 60, 300, 230)


def _astronaut(dx: int, dy: int) -> np.ndarray:
    return np.ascontiguousarray(data.astronaut()[dy : dy + FRAME_H, dx : dx + FRAME_W])


def _no_face() -> np.ndarray:
    ramp = np.linspace(40, 200, FRAME_W, dtype=np.uint8)
    return np.repeat(np.tile(ramp, (FRAME_H, 1))[:, :, None], 3, axis=2)


# Per video: each frame's offset into the photo, or None for a frame without a face.
FACE_VIDEOS: dict[str, list[tuple[int, int] | None]] = {
    "original_sequences/youtube/c23/videos/006.mp4": [(0, 0), (16, 8), (32, 16), (48, 24)],
    "original_sequences/youtube/c23/videos/007.mp4": [(8, 0), (24, 8), None, (40, 0)],
    "manipulated_sequences/Deepfakes/c23/videos/006_007.mp4": [None, None, None, None],
    "manipulated_sequences/Deepfakes/c23/videos/007_006.mp4": [(64, 0), (40, 20), (0, 32), (8, 8)],
}


def test_ffpp_face_crops_cut_around_the_face(tmp_path: Path) -> None:
    root = tmp_path / "FaceForensics++"
    (root / "splits").mkdir(parents=True)
    (root / "splits" / "val.json").write_text(json.dumps([["006", "007"]]))
    for rel, offsets in FACE_VIDEOS.items():
        media.mp4_of(root / rel, [_no_face() if o is None else _astronaut(*o) for o in offsets])
    opts = {"manipulations": ["Deepfakes"], "frames": 4, "face_crop": True}
    record = _import("ffpp", root, "val", tmp_path / "a", **opts)
    _assert_sealed(tmp_path / "a", "detection")
    crop = record["face_crop"]
    assert crop["enabled"] is True and "haarcascade_frontalface_default.xml" in crop["detector"]
    assert (crop["scale_factor"], crop["enlarge"]) == (1.3, 1.3)
    assert "nearest" in crop["no_face"] and "centre" in crop["no_face"]
    assert crop["frames"] == {"face": 11, "nearest": 1, "centre": 4}

    full = data.astronaut().astype(int)
    manifest = {r["id"]: r for r in _jsonl(tmp_path / "a" / "in" / "manifest.jsonl")}
    for row in _jsonl(tmp_path / "a" / "lab" / "provenance.jsonl"):
        offsets = FACE_VIDEOS[row["source"]]
        crops = row["face_crops"]
        assert [c["frame"] for c in crops] == [0, 1, 2, 3]
        for c, offset in zip(crops, offsets, strict=True):
            x0, y0, x1, y1 = c["box"]
            assert x1 - x0 == y1 - y0  # square
            path = manifest[f"{row['id']}-{c['frame']:04d}"]["path"]  # frame: the order
            pixels = np.asarray(Image.open(tmp_path / "a" / "in" / path)).astype(int)
            assert pixels.shape[:2] == (y1 - y0, x1 - x0)
            if offset is None and all(o is None for o in offsets):
                # No face anywhere in the video: the centre square.
                assert c["from"] == "centre" and c["box"] == [32, 0, 416, 384]
                continue
            if offset is None:
                # No face in this frame: the box of the nearest frame with one (the earlier).
                assert c["from"] == "nearest" and c["box"] == crops[c["frame"] - 1]["box"]
                continue
            assert c["from"] == "face"
            # In the photo's coordinates the box sits on her face, about the face's size.
            dx, dy = offset
            left, top, right, bottom = x0 + dx, y0 + dy, x1 + dx, y1 + dy
            fx0, fy0, fx1, fy1 = FACE_REGION
            assert fx0 <= (left + right) / 2 <= fx1 and fy0 <= (top + bottom) / 2 <= fy1
            assert left >= fx0 - 20 and top >= fy0 - 20 and right <= fx1 + 10
            assert bottom <= fy1 + 10 and 80 <= right - left <= 200
            # And the saved frame is that part of the photo (up to H.264 loss).
            assert np.abs(pixels - full[top:bottom, left:right]).mean() < 8
            assert np.abs(pixels - full[top + 40 : bottom + 40, left:right]).mean() > 20
    # Same copy, same bytes, boxes included.
    _import("ffpp", root, "val", tmp_path / "b", **opts)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


# --- Celeb-DF v2, SR-DF video list -----------------------------------------------------------


def _celebdf(root: Path) -> Path:
    names = {
        "Celeb-real": ["id0_0000", "id0_0001", "id1_0000"],
        "YouTube-real": ["00000", "00001"],
        "Celeb-synthesis": ["id0_id1_0000", "id1_id0_0000", "id0_id1_0001", "id1_id0_0001"],
    }
    for n, (folder, stems) in enumerate(names.items()):
        for k, stem in enumerate(stems):
            media.mp4(root / folder / f"{stem}.mp4", frames=3, seed=10 * n + k)
    (root / "List_of_testing_videos.txt").write_text(
        "1 YouTube-real/00000.mp4\n0 Celeb-synthesis/id0_id1_0000.mp4\n1 Celeb-real/id0_0000.mp4\n"
    )
    return root


def test_celebdf_test_list_and_labels(tmp_path: Path) -> None:
    root = _celebdf(tmp_path / "Celeb-DF-v2")
    record = _import("celebdf", root, "test", tmp_path / "t", frames=2)
    assert record["classes"] == {"0": 4, "1": 2}  # 1 in the list means real
    _assert_sealed(tmp_path / "t", "detection")
    val = _import("celebdf", root, "val", tmp_path / "v", mode="video", val_videos=2)
    assert val["classes"] == {"0": 1, "1": 1}
    provenance = {r["source"] for r in _jsonl(tmp_path / "v" / "lab" / "provenance.jsonl")}
    assert not provenance & {"YouTube-real/00000.mp4", "Celeb-synthesis/id0_id1_0000.mp4"}
    (root / "List_of_testing_videos.txt").write_text(
        "1 Celeb-synthesis/id1_id0_0000.mp4\n2 Celeb-real/id0_0000.mp4\n0 Celeb-real/nope.mp4\n"
    )
    with pytest.raises(ImportProblems) as caught:
        _import("celebdf", root, "test", tmp_path / "bad")
    text = str(caught.value)
    assert "listed as 1 but lies in Celeb-synthesis" in text
    assert ":2: expected '<1 real|0 fake>" in text
    assert "Celeb-real/nope.mp4 does not exist" in text


def test_video_list_layout_and_single_class_refusal(tmp_path: Path) -> None:
    root = tmp_path / "SR-DF"
    for n, name in enumerate(("a/one.mp4", "a/two.mp4", "b/three.mp4")):
        media.mp4(root / name, frames=3, seed=n)
    (root / "lists").mkdir()
    (root / "lists" / "test.txt").write_text("real a/one.mp4\n1 b/three.mp4\n")
    record = _import("videolist", root, "test", tmp_path / "ok", frames=3)
    assert record["classes"] == {"0": 3, "1": 3}
    _assert_sealed(tmp_path / "ok", "detection")
    (root / "lists" / "val.txt").write_text("0 a/one.mp4\n0 a/two.mp4\nmaybe b/three.mp4\n")
    with pytest.raises(ImportProblems) as caught:
        _import("videolist", root, "val", tmp_path / "bad")
    text = str(caught.value)
    assert "every sample has label 0; detection needs both classes" in text
    assert "val.txt:3: expected '<0|1|real|fake> <relative path>'" in text


# --- retrieval --------------------------------------------------------------------------------


def test_query_gallery_relevance_layout(tmp_path: Path) -> None:
    root = tmp_path / "COCO-Fake"
    for n in range(3):
        media.image(root / "queries" / f"q{n}.png", seed=n)
    for n in range(5):
        media.image(root / "gallery" / f"g{n}.jpg", seed=10 + n)
    media.mask(root / "masks" / "q0.png")
    (root / "relevance.txt").write_text("q0.png g1.jpg g3.jpg\nq1.png g0.jpg\nq2.png g4.jpg\n")
    (root / "lists").mkdir()
    (root / "lists" / "test.txt").write_text("q0.png\nq1.png\n")
    record = _import("retrieval", root, "lists/test.txt", tmp_path / "r")
    assert record["queries"] == 2 and record["gallery"] == 5
    _assert_sealed(tmp_path / "r", "retrieval")
    manifest = {r["id"]: r for r in _jsonl(tmp_path / "r" / "in" / "manifest.jsonl")}
    source = {r["id"]: r for r in _jsonl(tmp_path / "r" / "lab" / "provenance.jsonl")}
    truth = _jsonl(tmp_path / "r" / "lab" / "truth.jsonl")
    by_query = {
        source[t["id"]]["source"]: sorted(source[g]["source"] for g in t["relevant"]) for t in truth
    }
    assert by_query == {
        "queries/q0.png": ["gallery/g1.jpg", "gallery/g3.jpg"],
        "queries/q1.png": ["gallery/g0.jpg"],
    }
    assert sorted(r["role"] for r in manifest.values()) == ["gallery"] * 5 + ["query"] * 2
    (root / "relevance.txt").write_text("q0.png g1.jpg g9.jpg\nq7.png g0.jpg\n")
    with pytest.raises(ImportProblems) as caught:
        _import("retrieval", root, "all", tmp_path / "bad")
    text = str(caught.value)
    assert "g9.jpg is not in the gallery folder" in text and "q7.png is not in the queries" in text
    assert "query q1.png has no line in relevance.txt" in text


# --- image/mask pairs -------------------------------------------------------------------------


def _casia(root: Path) -> Path:
    for n, name in enumerate(
        ("Sp_D_CNN_A_ani0001_ani0002_0001", "Sp_D_CNN_A_art0003_art0004_0002")
    ):
        media.image(root / "Tp" / "Sp" / f"{name}.jpg", seed=n)
        media.mask(root / "CASIA 1.0 groundtruth" / "Sp" / f"{name}_gt.png")
    media.image(root / "Tp" / "CM" / "Sp_S_CND_A_pla0005_pla0005_0003.jpg", seed=5)
    media.mask(root / "CASIA 1.0 groundtruth" / "CM" / "Sp_S_CND_A_pla0005_pla0005_0003_gt.png")
    media.image(root / "Au" / "Au_ani_0001.jpg", seed=9)
    return root


def test_casia1_pairs_by_name(tmp_path: Path) -> None:
    root = _casia(tmp_path / "CASIA 1.0 dataset")
    record = _import("casia1", root, "all", tmp_path / "a", authentic=True)
    assert record["classes"] == {"0": 1, "1": 3}
    _assert_sealed(tmp_path / "a", "localization")
    truth = _jsonl(tmp_path / "a" / "lab" / "truth.jsonl")
    masked = [t for t in truth if t["mask"]]
    gt = np.asarray(Image.open(tmp_path / "a" / "lab" / masked[0]["mask"]))
    assert gt.shape == (16, 24) and set(np.unique(gt)) == {0, 255} and gt[5, 5] == 255
    assert all(t["width"] == 24 and t["height"] == 16 for t in truth)
    _import("casia1", root, "all", tmp_path / "b", authentic=True)
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    only = _import("casia1", root, "all", tmp_path / "c")
    assert only["classes"] == {"1": 3}, "a localization split may hold only manipulated images"


def test_misaligned_pairs_and_wrong_sizes_are_all_reported(tmp_path: Path) -> None:
    root = _casia(tmp_path / "CASIA")
    # Sorting would pair these two; names do not: one image lacks its mask, one mask its image.
    media.image(root / "Tp" / "Sp" / "Sp_D_zzz_0009.jpg")
    media.mask(root / "CASIA 1.0 groundtruth" / "Sp" / "Sp_D_zzy_0009_gt.png")
    media.mask(
        root / "CASIA 1.0 groundtruth" / "Sp" / "Sp_D_CNN_A_ani0001_ani0002_0001_gt.png",
        size=(20, 16),
    )
    with pytest.raises(ImportProblems) as caught:
        _import("casia1", root, "all", tmp_path / "out")
    problems = caught.value.problems
    assert any("Sp_D_zzz_0009.jpg: no mask named Sp_D_zzz_0009_gt.png" in p for p in problems)
    assert any("Sp_D_zzy_0009_gt.png: mask without an image of that name" in p for p in problems)
    assert any("is 20x16, the image is 24x16" in p for p in problems)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.jpg"))


def test_coverage_nist16_columbia_layouts(tmp_path: Path) -> None:
    cov = tmp_path / "COVERAGE"
    for n in (1, 2):
        media.image(cov / "image" / f"{n}.tif", seed=n)
        media.image(cov / "image" / f"{n}t.tif", seed=10 + n)
        media.mask(cov / "mask" / f"{n}forged.tif")
        media.mask(cov / "mask" / f"{n}copy.tif", box=(0, 0, 2, 2))
    (cov / "lists").mkdir()
    (cov / "lists" / "test.txt").write_text("1t.tif\n1.tif\n")
    record = _import("coverage", cov, "lists/test.txt", tmp_path / "cov", authentic=True)
    assert record["classes"] == {"0": 1, "1": 1}
    _assert_sealed(tmp_path / "cov", "localization")

    nist = tmp_path / "NC2016_Test0613"
    media.image(nist / "probe" / "NC2016_0001.jpg", seed=1)
    media.image(nist / "probe" / "NC2016_0002.jpg", seed=2)
    media.mask(
        nist / "reference/manipulation/mask/NC2016_5555.png",
        inside=(0, 0, 0),
        outside=(255, 255, 255),
    )
    (nist / "reference/manipulation/NC2016-manipulation-ref.csv").write_text(
        "TaskID|ProbeFileID|ProbeFileName|ProbeMaskFileName|IsTarget\n"
        "manipulation|a|probe/NC2016_0001.jpg|reference/manipulation/mask/NC2016_5555.png|Y\n"
        "manipulation|b|probe/NC2016_0002.jpg||N\n"
    )
    record = _import("nist16", nist, "all", tmp_path / "nist", authentic=True)
    assert record["classes"] == {"0": 1, "1": 1}
    truth = [t for t in _jsonl(tmp_path / "nist" / "lab" / "truth.jsonl") if t["mask"]]
    gt = np.asarray(Image.open(tmp_path / "nist" / "lab" / truth[0]["mask"]))
    assert gt[5, 5] == 255 and gt[0, 0] == 0, "NIST's black-on-white masks are inverted"

    col = tmp_path / "Columbia"
    media.image(col / "4cam_splc" / "canong3_canonxt_sub_01.tif", seed=3)
    media.mask(
        col / "4cam_splc" / "edgemask" / "canong3_canonxt_sub_01_edgemask.jpg",
        inside=(0, 255, 0),
        outside=(255, 0, 0),
    )
    media.image(col / "4cam_auth" / "canong3_02_sub_01.tif", seed=4)
    record = _import("columbia", col, "all", tmp_path / "col", authentic=True)
    truth = [t for t in _jsonl(tmp_path / "col" / "lab" / "truth.jsonl") if t["mask"]]
    gt = np.asarray(Image.open(tmp_path / "col" / "lab" / truth[0]["mask"]))
    assert gt[6, 6] == 255 and gt[0, 0] == 0, "green is the spliced region"
    _assert_sealed(tmp_path / "col", "localization")


# --- DAVIS inpainting -------------------------------------------------------------------------


def _davis(root: Path) -> Path:
    for video in ("bear", "boat"):
        for k in range(3):
            media.mask(root / "Annotations/480p" / video / f"{k:05d}.png", box=(k, 2, k + 8, 10))
            for method in ("VI", "OP"):
                media.image(root / "Inpainted" / method / video / f"{k:05d}.png", seed=k)
    (root / "ImageSets/2016").mkdir(parents=True)
    (root / "ImageSets/2016/val.txt").write_text("bear\nboat\n")
    return root


def test_davis_inpainting_frames_and_masks(tmp_path: Path) -> None:
    root = _davis(tmp_path / "DAVIS")
    record = _import("davis", root, "val", tmp_path / "vi", method="VI")
    assert record["samples"] == 6 and record["units"] == 2
    _assert_sealed(tmp_path / "vi", "video_localization")
    manifest = _jsonl(tmp_path / "vi" / "in" / "manifest.jsonl")
    assert sorted({r["frame"] for r in manifest}) == [0, 1, 2]
    _import("davis", root, "val", tmp_path / "vi2", method="VI")
    assert _tree(tmp_path / "vi") == _tree(tmp_path / "vi2")
    media.mask(root / "Annotations/480p/bear/00003.png")
    media.image(root / "Inpainted/VI/boat/00002.png", size=(30, 16))
    with pytest.raises(ImportProblems) as caught:
        _import("davis", root, "val", tmp_path / "bad", method="VI")
    text = str(caught.value)
    assert "bear/00003: annotation without an inpainted frame" in text
    assert "frame 00002.png is 30x16, its annotation 00002.png is 24x16" in text
    with pytest.raises(ImportProblems, match="no inpainted frames"):
        _import("davis", root, "val", tmp_path / "cp", method="CP")

"""Video detection datasets: FaceForensics++, Celeb-DF v2 and a generic labelled video list."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from .base import Entry, Problems, SplitSpec, check_classes, read_lines

FFPP_MANIPULATIONS = ("Deepfakes", "Face2Face", "FaceSwap", "NeuralTextures", "FaceShifter")
FFPP_COMPRESSIONS = {"raw": ("raw", "c0"), "c0": ("c0", "raw"), "c23": ("c23",), "c40": ("c40",)}
CELEBDF_FOLDERS = {"Celeb-real": 0, "YouTube-real": 0, "Celeb-synthesis": 1}


def _video_spec(
    options: dict[str, Any], problems: Problems, record: dict[str, Any], entries: list[Entry]
) -> SplitSpec:
    mode = options.get("mode", "frames")
    if mode not in ("frames", "video"):
        problems.add(f"option mode: {mode!r} is not frames or video")
    frames = options.get("frames", 32)
    if type(frames) is not int or frames < 1:
        problems.add(f"option frames: must be a positive integer, got {frames!r}")
        frames = 32
    face_crop = options.get("face_crop", False)
    if not isinstance(face_crop, bool):
        problems.add(f"option face_crop: must be true or false, got {face_crop!r}")
        face_crop = False
    return SplitSpec(
        task="detection",
        track="",
        entries=entries,
        record=record,
        mode=mode,
        frames=frames,
        face_crop=face_crop and mode == "frames",
    )


def plan_ffpp(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """``splits/<split>.json`` pairs [a, b]: reals a and b, fakes a_b and b_a per manipulation."""
    compression = str(options.get("compression", "c23"))
    manipulations = options.get("manipulations", "all")
    if manipulations == "all":
        manipulations = list(FFPP_MANIPULATIONS)
    if isinstance(manipulations, str):
        manipulations = [manipulations]
    for m in manipulations:
        if m not in FFPP_MANIPULATIONS:
            problems.add(
                f"option manipulations: {m!r} is not one of {', '.join(FFPP_MANIPULATIONS)}"
            )
    if compression not in FFPP_COMPRESSIONS:
        problems.add(f"option compression: {compression!r} is not raw, c0, c23 or c40")
        compression = "c23"
    split_file = root / "splits" / f"{split}.json"
    pairs: list[list[str]] = []
    try:
        pairs = json.loads(split_file.read_text(encoding="utf-8"))
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ValueError
    except OSError:
        problems.add(f"{split_file}: missing (the official splits/{{train,val,test}}.json)")
        pairs = []
    except ValueError:
        problems.add(f"{split_file}: not a JSON list of [target, source] pairs")
        pairs = []

    def video(folder: Path, name: str) -> Path | None:
        for comp in FFPP_COMPRESSIONS[compression]:
            path = folder / comp / "videos" / f"{name}.mp4"
            if path.is_file():
                return path
        problems.add(f"missing {folder.relative_to(root)}/{compression}/videos/{name}.mp4")
        return None

    entries: list[Entry] = []
    reals = sorted({name for pair in pairs for name in pair})
    for name in reals:
        path = video(root / "original_sequences" / "youtube", name)
        if path:
            entries.append(Entry(key=str(path.relative_to(root)), source=path, label=0))
    for m in manipulations:
        for a, b in pairs:
            for name in (f"{a}_{b}", f"{b}_{a}"):
                path = video(root / "manipulated_sequences" / m, name)
                if path:
                    entries.append(
                        Entry(
                            key=str(path.relative_to(root)),
                            source=path,
                            label=1,
                            extra={"manipulation": m},
                        )
                    )
    check_classes(entries, problems, f"FF++ {split} ({compression}, {'+'.join(manipulations)})")
    record = {
        "importer": "ffpp",
        "split": split,
        "compression": compression,
        "manipulations": manipulations,
        "pairs": len(pairs),
    }
    return _video_spec(options, problems, record, entries)


def plan_celebdf(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    """test: the videos of List_of_testing_videos.txt (1 real / 0 fake); train: all others."""
    listing = root / "List_of_testing_videos.txt"
    listed: dict[str, int] = {}
    if not listing.is_file():
        problems.add(f"{listing}: missing")
    else:
        for number, line in read_lines(listing):
            parts = line.split()
            if len(parts) != 2 or parts[0] not in ("0", "1"):
                problems.add(
                    f"{listing.name}:{number}: expected '<1 real|0 fake> <folder>/<name>.mp4'"
                )
                continue
            label = 1 - int(parts[0])  # the list says 1 for real; the protocol's 1 is fake
            folder = parts[1].split("/")[0]
            if folder in CELEBDF_FOLDERS and CELEBDF_FOLDERS[folder] != label:
                problems.add(
                    f"{listing.name}:{number}: {parts[1]} is listed as {parts[0]} "
                    f"but lies in {folder}"
                )
            if not (root / parts[1]).is_file():
                problems.add(f"{listing.name}:{number}: {parts[1]} does not exist")
            listed[parts[1]] = label
    entries: list[Entry] = []
    rest: list[Entry] = []
    for folder, label in CELEBDF_FOLDERS.items():
        if not (root / folder).is_dir():
            problems.add(f"{root / folder}: missing")
            continue
        for path in sorted((root / folder).glob("*.mp4")):
            key = f"{folder}/{path.name}"
            if key not in listed:
                rest.append(Entry(key=key, source=path, label=label))
    val_videos = options.get("val_videos", 100)
    if type(val_videos) is not int or val_videos < 2:
        problems.add(f"option val_videos: must be an integer >= 2, got {val_videos!r}")
        val_videos = 100
    # val: a class-balanced sample of the non-test videos, chosen by a hash of their path.
    val: set[str] = set()
    for label in (0, 1):
        group = sorted(
            (e for e in rest if e.label == label),
            key=lambda e: hashlib.sha256(e.key.encode()).hexdigest(),
        )
        val |= {e.key for e in group[: val_videos // 2]}
    if split == "test":
        entries = [
            Entry(key=k, source=root / k, label=v)
            for k, v in sorted(listed.items())
            if (root / k).is_file()
        ]
    elif split == "val":
        entries = [e for e in rest if e.key in val]
    elif split == "train":
        entries = [e for e in rest if e.key not in val]
    else:
        problems.add(
            f"split {split!r}: Celeb-DF v2 has test (the testing list), val (a sample of the "
            "rest) and train (the remaining videos)"
        )
    check_classes(entries, problems, f"Celeb-DF v2 {split}")
    record = {"importer": "celebdf", "split": split, "val_videos": val_videos}
    return _video_spec(options, problems, record, entries)


LABEL_WORDS = {"0": 0, "real": 0, "1": 1, "fake": 1}


def plan_videolist(
    root: Path, split: str, options: dict[str, Any], problems: Problems
) -> SplitSpec:
    """``<list_dir>/<split>.txt`` lines ``<label> <path>``: label 0/real or 1/fake."""
    listing = root / str(options.get("list_dir", "lists")) / f"{split}.txt"
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    if not listing.is_file():
        problems.add(f"{listing}: missing (one '<label> <relative path>' a line)")
    else:
        for number, line in read_lines(listing):
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or parts[0].lower() not in LABEL_WORDS:
                problems.add(f"{listing.name}:{number}: expected '<0|1|real|fake> <relative path>'")
                continue
            rel = parts[1].strip()
            path = root / rel
            if rel in seen:
                problems.add(f"{listing.name}:{number}: {rel} already listed on line {seen[rel]}")
                continue
            seen[rel] = number
            if ".." in Path(rel).parts or Path(rel).is_absolute():
                problems.add(f"{listing.name}:{number}: {rel} must be relative, inside the root")
            elif not path.is_file():
                problems.add(f"{listing.name}:{number}: {rel} does not exist")
            else:
                entries.append(Entry(key=rel, source=path, label=LABEL_WORDS[parts[0].lower()]))
    check_classes(entries, problems, f"video list {split}")
    return _video_spec(options, problems, {"importer": "videolist", "split": split}, entries)

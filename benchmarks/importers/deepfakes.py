"""Video deepfake sets beside FF++: DeepFakeDetection (inside the FF++ tree), DFDC and
DeeperForensics-1.0 (its fakes, and the FF++ originals they were made from).

DeepFakeDetection (DFD, Google/Jigsaw, 2019) ships in the FaceForensics++ download:
``original_sequences/actors/<comp>/videos/<name>.mp4`` (real, 363 videos) and
``manipulated_sequences/DeepFakeDetection/<comp>/videos/<name>.mp4`` (fake, 3,068 videos). It has
no official split; cross-dataset protocols (DeepfakeBench) test on all of it: ``from: all``, or a
list file of video file names under the root.

DFDC (Dolhansky et al., 2020): the training set is ``dfdc_train_part_<k>/`` folders, each with
its videos and a ``metadata.json`` mapping every file name to ``{"label": "REAL" | "FAKE",
"split": "train", "original": ...}``; the public test set is ``test/videos/*.mp4`` (or
``test/*.mp4``) with ``test/labels.csv`` (``filename,label``; 1 = fake). Splits: ``train`` (the
parts named by the option ``parts``, default all), ``part-<k>`` (one part) and ``test``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from .base import Entry, Problems, SplitSpec, check_classes, read_lines
from .videos import FFPP_COMPRESSIONS, _video_spec


def plan_dfd(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    compression = str(options.get("compression", "c23"))
    if compression not in FFPP_COMPRESSIONS:
        problems.add(f"option compression: {compression!r} is not raw, c0, c23 or c40")
        compression = "c23"
    folders = {
        0: root / "original_sequences" / "actors",
        1: root / "manipulated_sequences" / "DeepFakeDetection",
    }
    wanted: set[str] | None = None
    if split != "all":
        listing = root / split
        if not listing.is_file():
            problems.add(f"split list {listing} is missing (use 'all' or a list file)")
            wanted = set()
        else:
            wanted = {Path(line).name for _, line in read_lines(listing)}
    entries: list[Entry] = []
    for label, folder in folders.items():
        videos = next(
            (
                folder / comp / "videos"
                for comp in FFPP_COMPRESSIONS[compression]
                if (folder / comp / "videos").is_dir()
            ),
            None,
        )
        if videos is None:
            rel = folder.relative_to(root)
            problems.add(f"{rel}/{compression}/videos: missing (DFD inside the FF++ tree)")
            continue
        for path in sorted(videos.glob("*.mp4")):
            if wanted is None or path.name in wanted:
                entries.append(Entry(key=str(path.relative_to(root)), source=path, label=label))
    if wanted is not None:
        for name in sorted(wanted - {Path(e.key).name for e in entries}):
            problems.add(f"split list {split}: {name} is not a DFD video of this copy")
    check_classes(entries, problems, f"DFD {split} ({compression})")
    record = {"importer": "dfd", "split": split, "compression": compression}
    return _video_spec(options, problems, record, entries)


DFDC_LABELS = {"REAL": 0, "FAKE": 1}


def _dfdc_train(root: Path, options: dict[str, Any], problems: Problems) -> list[Entry]:
    parts = options.get("parts", "all")
    if parts == "all":
        folders = sorted(p for p in root.glob("dfdc_train_part_*") if p.is_dir())
    elif isinstance(parts, list) and all(isinstance(p, int) for p in parts):
        folders = [root / f"dfdc_train_part_{p}" for p in parts]
    else:
        problems.add(f"option parts: 'all' or a list of part numbers, got {parts!r}")
        folders = []
    if not folders:
        problems.add(f"{root}: no dfdc_train_part_<k> folders")
    entries: list[Entry] = []
    for folder in folders:
        metadata = folder / "metadata.json"
        try:
            listed = json.loads(metadata.read_text(encoding="utf-8"))
            if not isinstance(listed, dict):
                raise ValueError
        except OSError:
            problems.add(f"{metadata.relative_to(root)}: missing")
            continue
        except ValueError:
            problems.add(f"{metadata.relative_to(root)}: not a JSON object of file names")
            continue
        for name, info in sorted(listed.items()):
            raw = info.get("label") if isinstance(info, dict) else None
            label = DFDC_LABELS.get(raw) if isinstance(raw, str) else None
            where = f"{metadata.relative_to(root)}: {name}"
            if label is None:
                problems.add(f"{where}: label must be REAL or FAKE")
            elif not (folder / name).is_file():
                problems.add(f"{where}: the video does not exist")
            else:
                extra = {"original": info["original"]} if info.get("original") else {}
                entries.append(
                    Entry(
                        key=f"{folder.name}/{name}", source=folder / name, label=label, extra=extra
                    )
                )
        for path in sorted(folder.glob("*.mp4")):
            if path.name not in listed:
                problems.add(f"{folder.name}/{path.name}: not in its metadata.json")
    return entries


def _dfdc_test(root: Path, problems: Problems) -> list[Entry]:
    labels_csv = root / "test" / "labels.csv"
    videos = root / "test" / "videos"
    if not videos.is_dir():
        videos = root / "test"
    entries: list[Entry] = []
    if not labels_csv.is_file():
        problems.add(f"{labels_csv}: missing (filename,label; 1 = fake)")
        return entries
    with labels_csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"filename", "label"} <= set(rows[0]):
        problems.add(f"{labels_csv.name}: needs the columns filename and label")
        return entries
    seen: set[str] = set()
    listed = {(row.get("filename") or "").strip() for row in rows}
    for number, row in enumerate(rows, 2):
        name, label = (row.get("filename") or "").strip(), (row.get("label") or "").strip()
        where = f"{labels_csv.name}:{number}"
        if label not in ("0", "1"):
            problems.add(f"{where}: label must be 0 or 1, got {label!r}")
        elif name in seen:
            problems.add(f"{where}: {name} listed twice")
        elif Path(name).name != name or not (videos / name).is_file():
            problems.add(f"{where}: {name} is not a video in {videos.relative_to(root)}")
        else:
            seen.add(name)
            key = str((videos / name).relative_to(root))
            entries.append(Entry(key=key, source=videos / name, label=int(label)))
    for path in sorted(videos.glob("*.mp4")):
        if path.name not in listed:
            problems.add(f"{videos.relative_to(root)}/{path.name}: not in {labels_csv.name}")
    return entries


def plan_dfdc(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    if split == "train":
        entries = _dfdc_train(root, options, problems)
    elif split.startswith("part-") and split.removeprefix("part-").isdigit():
        entries = _dfdc_train(root, {"parts": [int(split.removeprefix("part-"))]}, problems)
    elif split == "test":
        entries = _dfdc_test(root, problems)
    else:
        problems.add(
            f"split {split!r}: DFDC has train (the metadata.json parts), part-<k> (one part) "
            "and test"
        )
        entries = []
    check_classes(entries, problems, f"DFDC {split}")
    return _video_spec(options, problems, {"importer": "dfdc", "split": split}, entries)


def plan_deeperforensics(
    root: Path, split: str, options: dict[str, Any], problems: Problems
) -> SplitSpec:
    """DeeperForensics-1.0: ``manipulated_videos/<variant>/<target>_<actor>.mp4`` listed in
    ``lists/splits/<split>.txt``; the real videos are the FF++ originals ``<target>.mp4`` the
    fakes were made from (option ``originals``: the folder of FF++'s
    ``original_sequences/youtube/<comp>/videos``, absolute or relative to the root).
    ``variant`` is ``end_to_end`` (default), ``reenact_postprocess`` or any perturbed variant
    folder of the release (e.g. ``end_to_end_level_3``)."""
    variant = str(options.get("variant", "end_to_end"))
    fakes_dir = root / "manipulated_videos" / variant
    if not fakes_dir.is_dir():
        problems.add(f"manipulated_videos/{variant}: missing")
    originals_opt = options.get("originals")
    originals = root / str(originals_opt) if originals_opt else None
    if originals is None or not originals.is_dir():
        problems.add(
            "option originals: the folder of FF++ original_sequences/youtube/<comp>/videos "
            f"(the real videos), got {originals_opt!r}"
        )
    listing = root / "lists" / "splits" / f"{split}.txt"
    names: list[str] = []
    if not listing.is_file():
        problems.add(f"lists/splits/{split}.txt: missing")
    else:
        names = [Path(line).name for _, line in read_lines(listing)]
    entries: list[Entry] = []
    reals: set[str] = set()
    for name in names:
        target = name.split("_")[0]
        fake = fakes_dir / name
        if not fake.is_file():
            problems.add(f"lists/splits/{split}.txt: {name} is not in manipulated_videos/{variant}")
            continue
        entries.append(
            Entry(key=f"{variant}/{name}", source=fake, label=1, extra={"target": target})
        )
        reals.add(target)
    for target in sorted(reals):
        real = originals / f"{target}.mp4" if originals is not None else None
        if real is None or not real.is_file():
            problems.add(f"originals: {target}.mp4 (the real video of {target}_*) is missing")
            continue
        entries.append(Entry(key=f"originals/{target}.mp4", source=real, label=0))
    check_classes(entries, problems, f"DeeperForensics-1.0 {split} ({variant})")
    record = {"importer": "deeperforensics", "split": split, "variant": variant}
    return _video_spec(options, problems, record, entries)

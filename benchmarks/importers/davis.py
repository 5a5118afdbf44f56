"""DAVIS video inpainting: 480p annotations and inpainted copies of each video per method.

Layout under the root: ``Annotations/480p/<video>/<frame>.png`` (the object that was removed),
``<inpainted>/<method>/<video>/<frame>.(png|jpg)`` for each method (VI, OP, CP), and the split's
video list ``ImageSets/2016/<split>.txt`` (one video a line) or ``ImageSets/480p/<split>.txt``
(DAVIS 2016's frame pairs). Frames and annotations are matched by frame name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import Entry, Problems, SplitSpec, images_in, read_lines

METHODS = ("VI", "OP", "CP")


def _videos(root: Path, split: str, problems: Problems) -> list[str]:
    by_video = root / "ImageSets" / "2016" / f"{split}.txt"
    by_frame = root / "ImageSets" / "480p" / f"{split}.txt"
    if by_video.is_file():
        return [line for _, line in read_lines(by_video)]
    if by_frame.is_file():
        names = [Path(line.split()[0]).parent.name for _, line in read_lines(by_frame)]
        return list(dict.fromkeys(names))
    problems.add(f"no video list for split {split!r}: expected {by_video} or {by_frame}")
    return []


def plan_davis(root: Path, split: str, options: dict[str, Any], problems: Problems) -> SplitSpec:
    method = options.get("method", "VI")
    if method not in METHODS:
        problems.add(f"option method: {method!r} is not one of {', '.join(METHODS)}")
    stride = options.get("stride", 1)
    if type(stride) is not int or stride < 1:
        problems.add(f"option stride: must be a positive integer, got {stride!r}")
        stride = 1
    inpainted = root / str(options.get("inpainted", "Inpainted")) / str(method)
    entries: list[Entry] = []
    for video in _videos(root, split, problems):
        frames = {p.stem: p for p in images_in(inpainted / video)}
        annotations = {p.stem: p for p in images_in(root / "Annotations" / "480p" / video)}
        if not frames:
            problems.add(f"{inpainted.relative_to(root)}/{video}: no inpainted frames")
            continue
        for name in sorted(set(frames) - set(annotations)):
            problems.add(f"{video}/{name}: inpainted frame without an annotation of that name")
        for name in sorted(set(annotations) - set(frames)):
            problems.add(f"{video}/{name}: annotation without an inpainted frame of that name")
        names = sorted(set(frames) & set(annotations))[::stride]
        entries.append(
            Entry(
                key=f"{method}/{video}",
                frames=[(frames[n], annotations[n]) for n in names],
                extra={"video": video, "method": method, "frames": names},
            )
        )
    if not entries:
        problems.add(f"split {split!r}: no videos")
    record = {"importer": "davis", "split": split, "method": method, "stride": stride}
    return SplitSpec(task="video_localization", track="", entries=entries, record=record)

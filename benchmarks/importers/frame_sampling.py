"""Frames out of videos for frame tracks: evenly spaced, optionally cropped to the face.

Frames are decoded with PyAV (FFmpeg's software decoders are deterministic) in two passes, so a
long high-resolution video is never held in memory whole. Face crops use OpenCV's Haar cascade
(``haarcascade_frontalface_default.xml``), scale factor 1.3, and enlarge the largest face's box
by 1.3 around its centre, as FaceForensics++ crops faces; the box is kept square and shifted
(not shrunk) to stay inside the frame. A sampled frame where no face is found takes the box of
the nearest sampled frame of the same video that has one (the earlier on a tie); a video with no
face at all is cut to its centre square. Every box and where it came from is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

CASCADE = "haarcascade_frontalface_default.xml"
SCALE_FACTOR = 1.3
MIN_NEIGHBORS = 5
ENLARGE = 1.3


class VideoError(ValueError):
    """A video cannot be decoded or has no frames."""


FACE, NEAREST, CENTRE = "face", "nearest", "centre"


@dataclass(frozen=True)
class Crop:
    """Where one frame was cut: ``box`` is (x0, y0, x1, y1) in the decoded frame."""

    box: tuple[int, int, int, int]
    origin: str  # FACE: found in this frame; NEAREST: another frame's; CENTRE: no face at all


def face_crop_record(enabled: bool, counts: dict[str, int] | None = None) -> dict[str, Any]:
    if not enabled:
        return {"enabled": False}
    return {
        "enabled": True,
        "detector": f"OpenCV {_cv2_version()} Haar cascade {CASCADE}",
        "scale_factor": SCALE_FACTOR,
        "min_neighbors": MIN_NEIGHBORS,
        "enlarge": ENLARGE,
        "no_face": (
            f"{NEAREST}: the box of the nearest sampled frame of the video with a face; "
            f"{CENTRE}: the centre square when the video has none"
        ),
        "frames": {origin: (counts or {}).get(origin, 0) for origin in (FACE, NEAREST, CENTRE)},
    }


def _cv2_version() -> str:
    import cv2  # OpenCV: heavy, only video datasets need it (see base.py)

    return str(cv2.__version__)


def frame_indices(total: int, count: int) -> list[int]:
    """``count`` evenly spaced indices over ``total`` frames (all of them when fewer)."""
    if total <= count:
        return list(range(total))
    return sorted({round(i) for i in np.linspace(0, total - 1, count)})


def _decode(path: Path, wanted: set[int] | None) -> tuple[int, dict[int, np.ndarray]]:
    import av  # PyAV: heavy, only video datasets need it

    frames: dict[int, np.ndarray] = {}
    total = 0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "SLICE"
            for index, frame in enumerate(container.decode(stream)):
                total = index + 1
                if wanted is not None and index in wanted:
                    frames[index] = frame.to_ndarray(format="rgb24")
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        raise VideoError(f"cannot be decoded: {exc}") from None
    if total == 0:
        raise VideoError("has no video frames")
    return total, frames


def sample_frames(path: Path, count: int) -> list[tuple[int, np.ndarray]]:
    total, _ = _decode(path, None)
    wanted = frame_indices(total, count)
    _, frames = _decode(path, set(wanted))
    return [(i, frames[i]) for i in wanted]


@cache
def _detector() -> Any:
    import cv2  # OpenCV: heavy, only video datasets need it (see base.py)

    path = Path(cv2.data.haarcascades) / CASCADE  # type: ignore[attr-defined]
    detector = cv2.CascadeClassifier(str(path))
    if detector.empty():
        raise RuntimeError(
            f"face crops need OpenCV's {CASCADE}, which cannot be loaded from {path}"
        )
    return detector


def _face_box(pixels: np.ndarray) -> tuple[int, int, int, int] | None:
    """The largest face's box, enlarged, square and inside the frame; None without a face."""
    import cv2  # OpenCV: heavy, only video datasets need it (see base.py)

    gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    faces = _detector().detectMultiScale(gray, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS)
    if not len(faces):
        return None
    # Largest area; the top-left-most among equals, so the choice does not depend on order.
    boxes = [tuple(int(v) for v in face) for face in faces]
    x, y, w, h = max(boxes, key=lambda f: (f[2] * f[3], -f[1], -f[0]))
    height, width = pixels.shape[:2]
    side = min(int(max(w, h) * ENLARGE), width, height)
    x0 = min(max(0, x + w // 2 - side // 2), width - side)
    y0 = min(max(0, y + h // 2 - side // 2), height - side)
    return (x0, y0, x0 + side, y0 + side)


def face_crops(frames: list[tuple[int, np.ndarray]]) -> list[Crop]:
    """One crop per sampled frame of one video, in order."""
    found = [_face_box(pixels) for _, pixels in frames]
    with_face = [(index, box) for (index, _), box in zip(frames, found, strict=True) if box]
    crops = []
    for (index, pixels), box in zip(frames, found, strict=True):
        if box is not None:
            crops.append(Crop(box, FACE))
        elif with_face:
            nearest = min(with_face, key=lambda f: (abs(f[0] - index), f[0]))
            crops.append(Crop(nearest[1], NEAREST))
        else:
            height, width = pixels.shape[:2]
            side = min(height, width)
            x0, y0 = (width - side) // 2, (height - side) // 2
            crops.append(Crop((x0, y0, x0 + side, y0 + side), CENTRE))
    return crops


def cut(pixels: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return np.ascontiguousarray(pixels[y0:y1, x0:x1])

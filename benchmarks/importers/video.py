"""Frames out of videos for frame tracks: evenly spaced, optionally cropped to the face.

Frames are decoded with PyAV (FFmpeg's software decoders are deterministic) in two passes, so a
long high-resolution video is never held in memory whole. Face crops use OpenCV's Haar cascade
(``haarcascade_frontalface_default.xml``), scale factor 1.3, and enlarge the largest face's box
by 1.3 around its centre, as FaceForensics++ crops faces.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CASCADE = "haarcascade_frontalface_default.xml"
SCALE_FACTOR = 1.3
MIN_NEIGHBORS = 5
ENLARGE = 1.3


class VideoError(ValueError):
    """A video cannot be decoded or has no frames."""


def face_crop_available() -> str | None:
    """None when face crops can be made here, else why not."""
    import cv2

    if not hasattr(cv2, "CascadeClassifier"):
        return (
            f"face crops need OpenCV's CascadeClassifier, which OpenCV {cv2.__version__} no "
            "longer ships; import without face_crop or use an OpenCV 4.x install"
        )
    path = Path(cv2.data.haarcascades) / CASCADE  # type: ignore[attr-defined]
    if not path.is_file():
        return f"face crops need {CASCADE}, which is not in {path.parent}"
    return None


def face_crop_record(enabled: bool) -> dict[str, Any]:
    if not enabled:
        return {"enabled": False}
    return {
        "enabled": True,
        "detector": f"OpenCV Haar cascade {CASCADE}",
        "scale_factor": SCALE_FACTOR,
        "min_neighbors": MIN_NEIGHBORS,
        "enlarge": ENLARGE,
        "no_face": "the previous frame's box, else the whole frame",
    }


def frame_indices(total: int, count: int) -> list[int]:
    """``count`` evenly spaced indices over ``total`` frames (all of them when fewer)."""
    if total <= count:
        return list(range(total))
    return sorted({round(i) for i in np.linspace(0, total - 1, count)})


def _decode(path: Path, wanted: set[int] | None) -> tuple[int, dict[int, np.ndarray]]:
    import av

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


def sample_frames(path: Path, count: int, *, face_crop: bool) -> list[tuple[int, np.ndarray]]:
    total, _ = _decode(path, None)
    wanted = frame_indices(total, count)
    _, frames = _decode(path, set(wanted))
    out = [(i, frames[i]) for i in wanted]
    return _crop_faces(out) if face_crop else out


def _crop_faces(frames: list[tuple[int, np.ndarray]]) -> list[tuple[int, np.ndarray]]:
    import cv2

    cascade = Path(cv2.data.haarcascades) / CASCADE  # type: ignore[attr-defined]
    detector = cv2.CascadeClassifier(str(cascade))  # type: ignore[attr-defined]
    box = None
    out = []
    for index, pixels in frames:
        gray = cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
        faces = detector.detectMultiScale(
            gray, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS
        )
        if len(faces):
            x, y, w, h = max(faces, key=lambda f: int(f[2]) * int(f[3]))
            side = int(max(w, h) * ENLARGE)
            cx, cy = x + w // 2, y + h // 2
            height, width = pixels.shape[:2]
            x0, y0 = max(0, cx - side // 2), max(0, cy - side // 2)
            box = (x0, y0, min(width, x0 + side), min(height, y0 + side))
        crop = pixels if box is None else pixels[box[1] : box[3], box[0] : box[2]]
        out.append((index, np.ascontiguousarray(crop)))
    return out

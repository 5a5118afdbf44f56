"""Tiny real media files for importer and perturbation tests."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image


def mp4(path: Path, *, frames: int = 6, seed: int = 0, size: int = 32) -> Path:
    """A real H.264 mp4 of random frames (libx264 through PyAV)."""
    rng = np.random.default_rng(seed)
    images = [rng.integers(0, 256, size=(size, size, 3), dtype=np.uint8) for _ in range(frames)]
    return mp4_of(path, images)


def mp4_of(path: Path, images: list[np.ndarray]) -> Path:
    """A real H.264 mp4 of the given RGB frames (all of one even size)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = images[0].shape[:2]
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for image in images:
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def image(path: Path, *, size: tuple[int, int] = (24, 16), seed: int = 0) -> Path:
    """A random RGB image; the format follows the suffix (.jpg, .png, .tif)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, size=(size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def mask(
    path: Path,
    *,
    size: tuple[int, int] = (24, 16),
    box: tuple[int, int, int, int] = (4, 4, 12, 10),
    inside: tuple[int, int, int] = (255, 255, 255),
    outside: tuple[int, int, int] = (0, 0, 0),
) -> Path:
    """A mask image: ``inside`` colour in ``box`` (x0, y0, x1, y1), ``outside`` elsewhere."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.zeros((size[1], size[0], 3), dtype=np.uint8)
    pixels[:] = outside
    x0, y0, x1, y1 = box
    pixels[y0:y1, x0:x1] = inside
    Image.fromarray(pixels).save(path)
    return path

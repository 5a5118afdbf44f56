"""Real photographs that ship inside installed packages, loaded without any download.

scikit-image is a runtime dependency, so its ``skimage/data`` folder is the guaranteed source.
scikit-learn is a dev-only dependency: when it is installed, the two photos behind
``sklearn.datasets.load_sample_images`` (china, flower) are added. Both folders are located with
``importlib`` instead of importing the packages: ``skimage.data``'s fetchers may try the network,
and importing scikit-learn is slow and unnecessary for reading two JPEG files.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

# Natural photographs physically present in the scikit-image wheel. Synthetic or binary images
# (phantom, logo, horse silhouette, chessboards, text, page, color chart) are left out: they carry
# no camera noise, which is what forgery statistics look at. Grayscale photos stay grayscale
# (replicated to RGB) and are only ever spliced with other grayscale photos, so colour alone never
# gives a forgery away.
SKIMAGE_PHOTOS: tuple[str, ...] = (
    "astronaut.png",
    "chelsea.png",
    "coffee.png",
    "hubble_deep_field.jpg",
    "ihc.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "rocket.jpg",
    "brick.png",
    "camera.png",
    "clock_motion.png",
    "coins.png",
    "grass.png",
    "gravel.png",
    "moon.png",
)
SKLEARN_PHOTOS: tuple[str, ...] = ("china.jpg", "flower.jpg")


@dataclass(frozen=True)
class Photo:
    """One source photograph as an RGB uint8 array of shape (height, width, 3)."""

    name: str  # e.g. "skimage/astronaut"
    pixels: np.ndarray
    gray: bool

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _load(path: Path, name: str) -> Photo:
    with Image.open(path) as img:
        gray = img.mode in ("L", "LA", "I", "I;16")
        pixels = np.asarray(img.convert("RGB"), dtype=np.uint8)
    pixels.setflags(write=False)
    return Photo(name=name, pixels=pixels, gray=gray)


def skimage_photos() -> list[Photo]:
    """The photos from scikit-image's data folder; raises if scikit-image is missing."""
    root = _package_dir("skimage")
    if root is None:
        raise RuntimeError("scikit-image is not installed: it provides the smoke photos")
    data = root / "data"
    missing = [f for f in SKIMAGE_PHOTOS if not (data / f).is_file()]
    if missing:
        raise RuntimeError(f"scikit-image's data folder {data} lacks {', '.join(missing)}")
    return [_load(data / f, "skimage/" + f.rsplit(".", 1)[0]) for f in SKIMAGE_PHOTOS]


def sklearn_photos() -> list[Photo]:
    """china and flower from scikit-learn, or an empty list when it is not installed."""
    root = _package_dir("sklearn")
    if root is None:
        return []
    images = root / "datasets" / "images"
    return [
        _load(images / f, "sklearn/" + f.rsplit(".", 1)[0])
        for f in SKLEARN_PHOTOS
        if (images / f).is_file()
    ]


def load_photos(*, include_sklearn: bool = True) -> list[Photo]:
    """All available photos in a fixed order (the order is part of a split's definition)."""
    photos = skimage_photos()
    if include_sklearn:
        photos += sklearn_photos()
    return photos

"""Predicted and ground-truth masks: header checks first, decoding one mask at a time.

A predicted mask must be an 8-bit grayscale PNG of the input's width x height (protocol §3). The
PNG header (IHDR) says so in its first 26 bytes, so every mask of a submission is checked before
any is decoded: a team gets the full list of bad masks, and a tiny file that claims a gigantic
image (a decompression bomb) is refused before it costs memory.
"""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from evaluator.validation.errors import PredictionError, TruthError
from evaluator.validation.files import ErrorType, read_bytes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
GRAYSCALE = 0
HEADER_BYTES = 26
# Without a known input size (authentic images in a truth file that gives none) masks are capped
MAX_MASK_PIXELS = 1 << 26

Size = tuple[int, int]


def png_header(data: bytes) -> tuple[int, int, int, int] | None:
    """(width, height, bit depth, color type) from a PNG's IHDR chunk, None if not a PNG."""
    if len(data) < 26 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height, depth, color = struct.unpack(">IIBB", data[16:26])
    return width, height, depth, color


def mask_problem(data: bytes, expected: Size | None) -> str | None:
    """Why ``data`` is not an acceptable predicted mask, or None if its header is fine."""
    header = png_header(data)
    if header is None:
        return "not a PNG file"
    width, height, depth, color = header
    if depth != 8 or color != GRAYSCALE:
        return f"PNG with bit depth {depth} and color type {color}, expected 8-bit grayscale (0)"
    if expected is not None and (width, height) != expected:
        return f"{width}x{height} pixels, the input is {expected[0]}x{expected[1]}"
    if width * height > MAX_MASK_PIXELS:
        return f"{width}x{height} pixels is over the {MAX_MASK_PIXELS} pixel limit"
    return None


def read_prediction_header(path: Path, *, max_bytes: int) -> bytes:
    """The first bytes of a predicted mask, opened without following links."""
    return read_bytes(
        path, max_bytes=max_bytes, error=PredictionError, allow_symlink=False, head=HEADER_BYTES
    )


def decode_prediction(
    path: Path, *, max_bytes: int, expected: Size | None, line: int
) -> NDArray[np.uint8]:
    """Decode a predicted mask (checked again, since the file could change between passes)."""
    data = read_bytes(path, max_bytes=max_bytes, error=PredictionError, allow_symlink=False)
    problem = mask_problem(data, expected)
    if problem is None:
        try:
            return _decode(data, ("L",))
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
            problem = f"cannot be decoded ({exc})"
    raise PredictionError("bad_mask", [(line, f"{path.name}: {problem}")])


def truth_size(path: Path, *, max_bytes: int) -> Size:
    """Width x height of a ground-truth mask from its header alone."""
    try:
        with Image.open(io.BytesIO(_truth_bytes(path, max_bytes))) as image:
            return image.size
    except (OSError, ValueError, SyntaxError) as exc:
        raise TruthError("bad_mask", [(None, f"{path.name}: cannot be read ({exc})")]) from None


def decode_truth(path: Path, *, max_bytes: int) -> NDArray[np.uint8]:
    """A ground-truth mask as uint8 (bilevel "1" masks become 0/255)."""
    try:
        return _decode(_truth_bytes(path, max_bytes), ("L", "1"))
    except (OSError, ValueError, SyntaxError) as exc:
        raise TruthError("bad_mask", [(None, f"{path.name}: {exc}")]) from None


def _truth_bytes(path: Path, max_bytes: int) -> bytes:
    error: ErrorType = TruthError
    return read_bytes(path, max_bytes=max_bytes, error=error, allow_symlink=True)


def _decode(data: bytes, modes: tuple[str, ...]) -> NDArray[np.uint8]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data)) as image:
            if image.mode not in modes:
                raise ValueError(f"mode {image.mode}, expected one of {', '.join(modes)}")
            image.load()
            gray = image.convert("L") if image.mode == "1" else image
            return np.asarray(gray, dtype=np.uint8)

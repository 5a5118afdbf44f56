from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from evaluator.validation import PredictionError
from evaluator.validation.masks import decode_prediction, mask_problem, png_header


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(array)
    (image.convert(mode) if mode else image).save(buffer, format="PNG")
    return buffer.getvalue()


def test_accepts_8_bit_grayscale_of_the_right_size() -> None:
    data = _png(np.zeros((3, 5), np.uint8))
    assert png_header(data) == (5, 3, 8, 0)
    assert mask_problem(data, (5, 3)) is None


@pytest.mark.parametrize(
    ("data", "expected", "fragment"),
    [
        (_png(np.zeros((3, 5), np.uint8)), (3, 5), "5x3 pixels, the input is 3x5"),
        (_png(np.zeros((3, 5, 3), np.uint8)), None, "color type 2"),
        (_png(np.zeros((3, 5), np.uint16) + 300), None, "bit depth 16"),
        (_png(np.zeros((3, 5), np.uint8), mode="1"), None, "bit depth 1"),
        (b"GIF89a" + b"\x00" * 30, None, "not a PNG"),
    ],
)
def test_rejects_other_masks(data: bytes, expected: tuple[int, int] | None, fragment: str) -> None:
    problem = mask_problem(data, expected)
    assert problem is not None and fragment in problem


def test_refuses_a_decompression_bomb_from_its_header() -> None:
    # a valid IHDR claiming 100000 x 100000 pixels, without the pixel data
    ihdr = (100_000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    chunk = b"IHDR" + ihdr
    data = b"\x89PNG\r\n\x1a\n" + len(ihdr).to_bytes(4, "big") + chunk
    data += zlib.crc32(chunk).to_bytes(4, "big")
    problem = mask_problem(data, None)
    assert problem is not None and "limit" in problem


def test_truncated_png_is_a_bad_mask_on_its_line(tmp_path: Path) -> None:
    data = _png(np.arange(400, dtype=np.uint8).reshape(20, 20))
    path = tmp_path / "m.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(PredictionError) as info:
        decode_prediction(path, max_bytes=1 << 20, expected=(20, 20), line=7)
    assert info.value.code == "bad_mask" and info.value.offenders[0][0] == 7


def test_decodes_values_unchanged(tmp_path: Path) -> None:
    array = np.arange(256, dtype=np.uint8).reshape(16, 16)
    path = tmp_path / "m.png"
    path.write_bytes(_png(array))
    assert np.array_equal(decode_prediction(path, max_bytes=1 << 20, expected=None, line=1), array)

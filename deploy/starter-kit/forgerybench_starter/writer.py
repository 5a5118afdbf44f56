"""Atomic writes: a file appears under /output complete or not at all."""

import json
import os
from collections.abc import Iterable
from typing import Any

import numpy as np
from PIL import Image


def _partial(path: str) -> str:
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{name}.partial")


def write_jsonl(path: str, rows: Iterable[dict[str, Any]]) -> str:
    """Write to a hidden partial file and return its path; `publish` moves it into place."""
    partial = _partial(path)
    with open(partial, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")  # NaN is written, then named by the checks
        handle.flush()
        os.fsync(handle.fileno())
    return partial


def publish(partial: str, path: str) -> None:
    os.replace(partial, path)


def write_mask(path: str, mask: Any) -> None:
    """A mask as an 8-bit grayscale PNG: floats in [0, 1] are scaled to 0..255."""
    array = np.asarray(mask)
    if array.ndim != 2:
        raise ValueError(f"a mask must be 2-D (height x width), got shape {array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(np.nan_to_num(array.astype(np.float64), nan=0.0), 0.0, 1.0)
        array = np.round(array * 255.0).astype(np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    partial = _partial(path)
    Image.fromarray(array, mode="L").save(partial, format="PNG")
    os.replace(partial, path)

"""Fixtures that write truth files, predictions files and PNG masks into a temporary folder."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

WriteLines = Callable[[Path, Iterable[dict[str, Any]]], Path]
WriteMask = Callable[[Path, np.ndarray], str]


@pytest.fixture
def write_lines() -> WriteLines:
    def write(path: Path, rows: Iterable[dict[str, Any]]) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return path

    return write


@pytest.fixture
def write_mask() -> WriteMask:
    """Save an array as a PNG at ``path``; returns the path relative to its grandparent."""

    def write(path: Path, array: np.ndarray) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(path)
        return f"{path.parent.name}/{path.name}"

    return write

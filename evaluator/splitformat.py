"""The split format (protocol §2), in one place: file names, id shape, protocol version, writers.

Django-free. A split is two folders kept apart: the *inputs* a container sees (``task.json``,
``manifest.jsonl`` and the files it names) and the *labels* it never sees (``truth.jsonl``,
masks, ``provenance.jsonl``). Importers, smoke generators and perturbations write splits with
these helpers; the scorer, the platform's pipeline and the team CLI read them by these names.
Every writer here is byte-reproducible: fixed JSON settings, fixed PNG encoder settings.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# The protocol a split and a result are written under (``task.json`` and every result say it).
PROTOCOL_VERSION = 1

# Opaque sample ids: the first ID_HEX hex digits of a keyed hash; they say nothing about labels.
ID_HEX = 12

# Inputs side (mounted read-only at /input).
TASK_FILE = "task.json"
MANIFEST_FILE = "manifest.jsonl"
# Labels side (never mounted).
TRUTH_FILE = "truth.jsonl"
PROVENANCE_FILE = "provenance.jsonl"
# What a container writes under /output (``task.json`` names it as ``outputs``).
PREDICTIONS_FILE = "predictions.jsonl"


def json_line(obj: dict[str, Any]) -> str:
    """One JSON-lines row: ASCII only, keys in the order given, newline-terminated."""
    return json.dumps(obj, ensure_ascii=True) + "\n"


def jsonl_text(rows: Iterable[dict[str, Any]]) -> str:
    return "".join(json_line(row) for row in rows)


def write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> str:
    """Write ``rows`` as JSON lines (UTF-8); returns the text written, for hashing."""
    text = jsonl_text(rows)
    path.write_text(text, encoding="utf-8")
    return text


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every non-blank line of a JSON-lines file we wrote ourselves (not a container's output:
    that goes through :mod:`evaluator.validation`)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def task_body(task: str, track: str) -> dict[str, Any]:
    return {"protocol": PROTOCOL_VERSION, "task": task, "track": track, "outputs": PREDICTIONS_FILE}


def write_task(inputs_dir: Path, body: dict[str, Any]) -> None:
    (inputs_dir / TASK_FILE).write_text(json.dumps(body) + "\n", encoding="utf-8")


def read_task(inputs_dir: Path) -> dict[str, Any]:
    task: dict[str, Any] = json.loads((inputs_dir / TASK_FILE).read_text(encoding="utf-8"))
    return task


def require_fresh(*folders: Path) -> None:
    """A split is written into fresh folders: refuse one that already holds files."""
    for folder in folders:
        if folder.exists() and any(folder.iterdir()):
            raise FileExistsError(f"{folder} is not empty; a split is written into fresh folders")


def png_bytes(pixels: np.ndarray) -> bytes:
    """PNG bytes of a grayscale (2-D) or RGB array. Pillow writes no timestamp; fixed zlib
    settings keep the bytes the same on every machine."""
    mode = "L" if pixels.ndim == 2 else "RGB"
    out = io.BytesIO()
    Image.fromarray(pixels, mode=mode).save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def save_png(pixels: np.ndarray, path: Path) -> None:
    path.write_bytes(png_bytes(pixels))


def save_mask(mask: np.ndarray, path: Path) -> None:
    """A boolean mask as the format's mask file: 8-bit grayscale, 255 manipulated, 0 not."""
    save_png(np.where(mask, 255, 0).astype(np.uint8), path)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()

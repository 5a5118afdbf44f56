"""Helpers every smoke generator shares: opaque ids, photo cells, separate folders.

The split format itself (file names, writers, protocol version) is :mod:`evaluator.splitformat`.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import NamedTuple

import numpy as np

from evaluator import splitformat
from evaluator.splitformat import ID_HEX

from .forge import Cell, photo_cells
from .photos import Photo, load_photos


def split_code(split: str) -> int:
    return int.from_bytes(hashlib.sha256(split.encode()).digest()[:4], "big")


def sample_id(seed: int, track: str, split: str, index: int) -> str:
    """Opaque id: a keyed hash of the (secret) seed and the sample's position, nothing else."""
    key = f"forgerybench/{track}/seed={seed}".encode()
    return hmac.new(key, f"{split}/{index}".encode(), hashlib.sha256).hexdigest()[:ID_HEX]


def part(split: str) -> int:
    """Which checkerboard part of the photos a split draws from: val 0, all others 1."""
    return 0 if split == "val" or split.startswith("val-") else 1


def split_cells(photos: list[Photo], split: str) -> list[Cell]:
    """The photo cells a split may use: its own checkerboard part, so val and test never
    share a pixel."""
    return [c for p in photos for c in photo_cells(p) if c.part == part(split)]


def unique_ids(seed: int, track: str, split: str, count: int, *, what: str = "sample") -> list[str]:
    """The split's ``count`` opaque ids, refusing the (astronomically rare) hash collision."""
    ids = [sample_id(seed, track, split, i) for i in range(count)]
    if len(set(ids)) != count:
        raise RuntimeError(f"{what} id collision; choose another seed")
    return ids


def check_dirs(inputs_dir: Path, labels_dir: Path) -> None:
    ins, labs = inputs_dir.resolve(), labels_dir.resolve()
    if ins == labs or ins.is_relative_to(labs) or labs.is_relative_to(ins):
        raise ValueError("inputs_dir and labels_dir must be separate: labels are never mounted")
    splitformat.require_fresh(inputs_dir, labels_dir)


def write_task(inputs_dir: Path, task: str, track: str) -> None:
    splitformat.write_task(inputs_dir, splitformat.task_body(task, track))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class SplitDraw(NamedTuple):
    photos: list[Photo]
    cells: list[Cell]
    code: int
    order_rng: np.random.Generator


def split_draw(*, inputs_dir: Path, labels_dir: Path, split: str, seed: int) -> SplitDraw:
    """How every generator starts: separate fresh folders, the photos, the split's own cells,
    and the seeded generator that orders its labels (independent of the ids' hash, so neither
    an id nor the index behind it says anything about the class)."""
    check_dirs(inputs_dir, labels_dir)
    photos = load_photos()
    code = split_code(split)
    return SplitDraw(photos, split_cells(photos, split), code, np.random.default_rng([seed, code]))

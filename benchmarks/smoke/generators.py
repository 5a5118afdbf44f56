"""The smoke generators a definition may name (``source: {generator: NAME}``), in one registry.

Each entry says which task its splits serve, how to build one, and which alternative recipes
(``variant:``, used for out-of-distribution tiers) it knows. ``benchmarks.spec`` checks
definitions against this table and ``benchmarks.definitions_apply`` builds splits through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import detect
from .localize import build_localization_split
from .retrieve import build_retrieval_split
from .videoinpaint import build_video_inpaint_split


@dataclass(frozen=True)
class Generator:
    task: str
    build: Callable[..., dict[str, Any]]
    variants: tuple[str, ...] = ()


GENERATORS: dict[str, Generator] = {
    "smoke-detect": Generator("detection", detect.build_detection_split, detect.VARIANTS),
    "smoke-localize": Generator("localization", build_localization_split),
    "smoke-retrieve": Generator("retrieval", build_retrieval_split),
    "smoke-videoinpaint": Generator("video_localization", build_video_inpaint_split),
}

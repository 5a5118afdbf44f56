"""Audit tests on frame tracks and video localization: whole videos are drawn and renamed
together, frames keep their order, and an id reader is caught as on image tracks."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from benchmarks.dataset_import import dataset_import
from benchmarks.definitions_apply import definitions_apply
from benchmarks.models import Track
from benchmarks.smoke_install import smoke_install
from benchmarks.spec import parse_definition
from review.audit_tests import plan_disguised
from review.models import TrackAuditPolicy
from tests.benchmarks import media
from tests.review.audit_support import honest_passes_cheat_fails


def test_disguised_frames_keep_their_video_together_under_a_new_name() -> None:
    subset: list[dict[str, Any]] = [
        {"id": f"{v}-{k:04d}", "path": f"frames/{v}/{k:04d}.png", "video": v, "frame": k}
        for v in ("aaa", "bbb")
        for k in range(3)
    ]
    plan = plan_disguised(subset, random.Random(1))
    assert len(plan.manifest) == 12
    for item in plan.manifest:
        original = next(s for s in subset if s["id"] == plan.back[item["id"]])
        assert item["frame"] == original["frame"], "frames keep their order"
        assert item["video"] not in ("aaa", "bbb") and item["path"].startswith("data/")
        assert original["video"] not in item["path"] and item["id"] != original["id"]
    # Per original video: two new names (one per copy), each shared by all its frames.
    names: dict[str, set[str]] = {}
    for item in plan.manifest:
        names.setdefault(item["video"], set()).add(
            next(s["video"] for s in subset if s["id"] == plan.back[item["id"]])
        )
    assert len(names) == 4 and all(len(v) == 1 for v in names.values())
    assert sorted(len([i for i in plan.manifest if i["video"] == n]) for n in names) == [3] * 4


FRAME_TRACK = """
benchmarks:
  - slug: listed
    name: Listed
    tracks:
      - slug: frames
        name: Frames
        task: detection
        primary_metric: video_auc
        limits: {timeout_seconds: 120, memory_mb: 512, cpus: 1}
        source: {importer: videolist, options: {frames: 3}}
        splits:
          - {name: val, visibility: public, from: val}
          - {name: test, visibility: hidden, from: test}
"""


@pytest.fixture
def frame_track(db) -> Track:  # type: ignore[no-untyped-def]
    root = Path(settings.DATA_DIR) / "copies" / "frame-audit"
    lines: dict[str, list[str]] = {"val": [], "test": []}
    for n in range(8):
        rel = f"v/{n}.mp4"
        media.mp4(root / rel, frames=6, seed=n, size=48)
        lines["val" if n < 4 else "test"].append(f"{n % 2} {rel}")
    (root / "lists").mkdir(exist_ok=True)
    for split, rows in lines.items():
        (root / "lists" / f"{split}.txt").write_text("\n".join(rows) + "\n")
    definitions = parse_definition(FRAME_TRACK, "frames.yaml")
    definitions_apply(definitions)
    report = dataset_import("videolist", root=root, definitions=definitions)
    assert not report.problems, report.problems
    track = Track.objects.get(benchmark__slug="listed", slug="frames")
    TrackAuditPolicy.objects.create(track=track, subset_size=2, tolerance=1e-6)
    return track


@pytest.mark.docker
@pytest.mark.django_db
def test_frame_tracks_pixel_model_passes_id_reader_fails(
    people, frame_track, baseline_image
) -> None:
    honest, no_cues = honest_passes_cheat_fails(
        people,
        frame_track,
        honest=baseline_image("highfreq"),
        cheat=baseline_image("sanity"),
        seed=3,
    )
    assert len(honest[1].subset) == 6, "two whole videos of three frames"
    assert "12 of 12 outputs" in honest[1].summary
    assert len(no_cues.moved) == 12


@pytest.fixture
def video_localize_track(db) -> Track:  # type: ignore[no-untyped-def]
    smoke_install(scale=0.2, tracks={"smoke-videoinpaint/frames"})
    track = Track.objects.get(benchmark__slug="smoke-videoinpaint", slug="frames")
    TrackAuditPolicy.objects.create(track=track, subset_size=2, tolerance=1e-6, mask_tolerance=0)
    return track


@pytest.mark.docker
@pytest.mark.django_db
def test_video_localization_pixel_model_passes_id_reader_fails(
    people, video_localize_track, baseline_image
) -> None:
    honest, no_cues = honest_passes_cheat_fails(
        people,
        video_localize_track,
        honest=baseline_image("ela"),
        cheat=baseline_image("sanity-video-localization"),
        seed=4,
    )
    frames = len(honest[1].subset)
    assert frames >= 2 and f"{2 * frames} of {2 * frames} outputs" in honest[1].summary
    assert all(m["as"] and m["why"] for m in no_cues.moved)

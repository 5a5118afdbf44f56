"""Audit tests on image localization: masks are compared too, within a pixel tolerance."""

import numpy as np
import pytest

from benchmarks.models import Track
from benchmarks.smoke_install import smoke_install
from review.audit_tests import plan_same
from review.masks import LocalizationOutput, compare_localization, mask_flipped
from review.models import TrackAuditPolicy
from tests.review.audit_support import honest_passes_cheat_fails


def _mask(shape: tuple[int, int], on: int = 0) -> np.ndarray:
    mask = np.zeros(shape, dtype=bool)
    mask.flat[:on] = True
    return mask


def test_masks_are_compared_after_binarizing_within_the_tolerance() -> None:
    plan = plan_same([{"id": "a", "path": "a.png"}, {"id": "b", "path": "b.png"}])
    stored = {
        "a": LocalizationOutput(0.9, _mask((10, 10), 20)),
        "b": LocalizationOutput(0.1, None),
    }
    same = {"a": LocalizationOutput(0.9, _mask((10, 10), 20)), "b": LocalizationOutput(0.1, None)}
    assert compare_localization(plan.back, stored, same, tolerance=1e-6, mask_tolerance=0) == []
    # Three pixels flip on a: 3% of the mask; the score is unchanged.
    drift = {**same, "a": LocalizationOutput(0.9, _mask((10, 10), 23))}
    [moved] = compare_localization(plan.back, stored, drift, tolerance=1e-6, mask_tolerance=0.0)
    assert moved["id"] == "a" and moved["mask_flipped"] == pytest.approx(0.03)
    assert moved["why"] == "mask moved: 3.00% of pixels flipped"
    assert compare_localization(plan.back, stored, drift, tolerance=1e-6, mask_tolerance=0.05) == []
    # A mask of another size, an empty mask written where none was, a missing line.
    resized = {**same, "a": LocalizationOutput(0.9, _mask((10, 11), 20))}
    [moved] = compare_localization(plan.back, stored, resized, tolerance=1e-6, mask_tolerance=1)
    assert moved["why"] == "mask size changed"
    empty = {**same, "b": LocalizationOutput(0.1, _mask((4, 4)))}
    assert compare_localization(plan.back, stored, empty, tolerance=1e-6, mask_tolerance=0) == []
    gone = {"a": same["a"]}
    [moved] = compare_localization(plan.back, stored, gone, tolerance=1e-6, mask_tolerance=0)
    assert (moved["id"], moved["why"]) == ("b", "no output")
    assert mask_flipped(None, None) == 0.0


@pytest.fixture
def localize_track(db) -> Track:  # type: ignore[no-untyped-def]
    smoke_install(scale=0.1, tracks={"smoke-localize/image"})
    track = Track.objects.get(benchmark__slug="smoke-localize", slug="image")
    TrackAuditPolicy.objects.create(track=track, subset_size=4, tolerance=1e-6, mask_tolerance=0)
    return track


@pytest.mark.docker
@pytest.mark.django_db
def test_a_pixel_localizer_passes_and_an_id_reader_fails(
    people, localize_track, baseline_image
) -> None:
    # The chance baseline draws each mask's grey level from the image id: renamed inputs get
    # other masks.
    honest, no_cues = honest_passes_cheat_fails(
        people,
        localize_track,
        honest=baseline_image("noi"),
        cheat=baseline_image("sanity-localization"),
        seed=5,
    )
    assert "8 of 8 outputs" in honest[1].summary
    assert all(m["as"] and m["why"] for m in no_cues.moved)

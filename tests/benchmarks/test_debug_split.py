"""Every generated and robustness track gets a small public debug split in its hidden split's
format; it runs on every submission and is never ranked."""

import json
from pathlib import Path

import pytest

from benchmarks.models import Split, Track
from benchmarks.selectors import split_list_for_track
from benchmarks.smoke_install import smoke_install

pytestmark = pytest.mark.django_db


def _keys(split: Split) -> set[str]:
    lines = Path(split.inputs_dir, "manifest.jsonl").read_text().splitlines()
    return {key for line in lines for key in json.loads(line)}


def test_each_smoke_track_has_a_debug_split_shaped_like_its_hidden_split() -> None:
    smoke_install(scale=0.05)
    tracks = list(Track.objects.all())
    assert len(tracks) >= 5
    for track in tracks:
        debug = track.splits.get(name="debug")
        hidden = track.splits.filter(visibility=Split.Visibility.HIDDEN).order_by("name")[0]
        assert debug.visibility == "public" and debug.is_debug
        assert 1 <= debug.sample_count <= 32, track  # retrieval: queries plus their gallery
        assert _keys(debug) == _keys(hidden), track
        assert debug.perturbation == "", "not a level of the robustness curve"
        assert debug not in split_list_for_track(track=track), "never ranked"
    again = smoke_install(scale=0.05)
    assert not [line for line in again.lines if "debug: built" in line], "built once"

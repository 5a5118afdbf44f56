"""Every generated and robustness track gets a small public debug split in its hidden split's
format; it runs on every submission and is never ranked."""

import hashlib
import io
import json
from pathlib import Path

import pytest

from benchmarks.models import Split, Track
from benchmarks.selectors import selection_split, split_list_for_track
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
        chooser = selection_split(track=track)
        assert chooser is None or chooser.name == "val", "the debug split never picks an entry"
        if track.robustness_of_id is not None:
            assert chooser is None, "a robustness track has no public split to choose on"
    assert any(t.robustness_of_id for t in tracks)
    again = smoke_install(scale=0.05)
    assert not [line for line in again.lines if "debug: built" in line], "built once"


IMPORTED = """
benchmarks:
  - slug: copied
    name: Copied
    tracks:
      - slug: frames
        name: Frames
        task: detection
        primary_metric: video_auc
        source: {importer: videolist, options: {frames: 2}}
        splits:
          - {name: val, visibility: public, from: val}
          - {name: test, visibility: hidden, from: test}
"""


def _ids(split: Split, name: str = "manifest.jsonl") -> set[str]:
    lines = Path(split.inputs_dir, name).read_text().splitlines()
    return {json.loads(line)["id"] for line in lines}


def test_an_imported_track_gets_a_few_val_samples_under_fresh_ids_never_hidden_ones() -> None:
    from django.conf import settings
    from django.core.management import call_command

    from tests.benchmarks import media

    root = Path(settings.DATA_DIR) / "copies" / "debug-copy"
    names = [f"{c}.mp4" for c in "abcdefghijkl"]
    for n, name in enumerate(names):
        media.mp4(root / "v" / name, frames=2, seed=n)
    (root / "lists").mkdir(parents=True, exist_ok=True)
    val = "".join(f"{n % 2} v/{name}\n" for n, name in enumerate(names[:10]))
    (root / "lists" / "val.txt").write_text(val)
    (root / "lists" / "test.txt").write_text("0 v/k.mp4\n1 v/l.mp4\n")
    definition = Path(settings.DATA_DIR) / "debug-imported.yaml"
    definition.write_text(IMPORTED)
    out = io.StringIO()
    call_command("load_benchmarks", str(definition), stdout=out)
    assert "copied/frames/debug: awaiting its source split frames/val" in out.getvalue()
    args = ["import_dataset", "videolist", "--root", str(root), "--definitions", str(definition)]
    call_command(*args, "--quiet", stdout=out)
    track = Track.objects.get(benchmark__slug="copied", slug="frames")
    debug, val_split, test = (track.splits.get(name=n) for n in ("debug", "val", "test"))
    assert debug.visibility == "public" and debug.is_debug
    assert _keys(debug) == _keys(test), "the hidden split's format"
    rows = Path(debug.inputs_dir, "manifest.jsonl").read_text().splitlines()
    videos = {json.loads(row)["video"] for row in rows}
    assert len(videos) == 8 and debug.sample_count == 16, "8 of val's 10 videos, 2 frames each"
    assert not _ids(debug) & (_ids(val_split) | _ids(test)), "fresh ids"
    provenance = Path(debug.labels_path).with_name("provenance.jsonl").read_text().splitlines()
    sources = {json.loads(line)["source_id"] for line in provenance}
    assert sources <= _ids(val_split), "copied from val, never from the hidden split"
    assert debug not in split_list_for_track(track=track), "never ranked"
    before = _ids(debug)
    # val imported again with other files: the debug copy follows it while nothing ran on it.
    (root / "lists" / "val.txt").write_text(val.replace("v/a.mp4", "v/k.mp4"))
    call_command(*args, "--quiet", stdout=io.StringIO())
    debug.refresh_from_db()
    sources = {
        json.loads(line)["source_id"]
        for line in Path(debug.labels_path).with_name("provenance.jsonl").read_text().splitlines()
    }
    val_split.refresh_from_db()
    assert sources <= _ids(val_split)
    record = json.loads(Path(debug.labels_path).with_name("perturbation.json").read_text())
    manifest = Path(val_split.inputs_dir, "manifest.jsonl").read_bytes()
    assert record["source_manifest_sha256"] == hashlib.sha256(manifest).hexdigest()
    assert Path(debug.inputs_dir, "manifest.jsonl").is_file() and before

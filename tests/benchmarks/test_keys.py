"""Imported ids are keyed by a secret: never computable from the public file names."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from benchmarks.dataset_import import dataset_import
from benchmarks.importers import import_split
from benchmarks.importers.base import neutral_id
from benchmarks.keys import EmptyIdKey, installation_key, key_path
from benchmarks.models import Split
from benchmarks.spec import parse_definition
from tests.benchmarks import media

pytestmark = pytest.mark.django_db

DEFINITION = """
benchmarks:
  - slug: keyed
    name: Keyed
    tracks:
      - slug: video
        name: Video
        task: detection
        primary_metric: video_auc
        source: {importer: videolist, options: {mode: video}}
        splits:
          - {name: val, visibility: public, from: val}
          - {name: test, visibility: hidden, from: test}
"""

GENERATED = """
benchmarks:
  - slug: generated
    name: Generated
    synthetic: true
    tracks:
      - slug: image
        name: Image
        task: detection
        source: {generator: smoke-detect}
        splits:
          - {name: val, visibility: public, count: 8, seed: 1}
          - {name: test, visibility: hidden, count: 8, seed: 2}
"""


def _copy(root: Path) -> Path:
    for n, name in enumerate(("v/a.mp4", "v/b.mp4", "v/c.mp4", "v/d.mp4")):
        media.mp4(root / name, frames=2, seed=n)
    (root / "lists").mkdir(parents=True, exist_ok=True)
    (root / "lists" / "val.txt").write_text("0 v/a.mp4\n1 v/b.mp4\n")
    (root / "lists" / "test.txt").write_text("0 v/c.mp4\n1 v/d.mp4\n")
    return root


def _definition(tmp_path: Path) -> Path:
    path = tmp_path / "keyed.yaml"
    path.write_text(DEFINITION)
    return path


def test_hidden_ids_are_not_computable_from_public_paths_without_an_id_key(tmp_path) -> None:
    root = _copy(tmp_path / "copy")
    definitions = parse_definition(DEFINITION, "keyed.yaml")
    report = dataset_import("videolist", root=root, definitions=definitions)
    assert not report.problems, report.problems
    test = Split.objects.get(track__benchmark__slug="keyed", name="test")
    truth = Path(test.labels_path).read_text().splitlines()
    ids = {json.loads(line)["id"] for line in truth}
    # What anyone could compute from the public list and the public definitions:
    where = "keyed/video/test"
    guessable = {
        neutral_id(f"{k}/{where}", rel) for k in ("", "k") for rel in ("v/c.mp4", "v/d.mp4")
    }
    assert len(ids) == 2 and not ids & guessable
    # The key is made once, kept on the labels side only, readable by its owner alone.
    key = key_path()
    assert key.is_file() and key.parent == Path(settings.FORGERYBENCH_LABELS_DIR)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not list(Path(settings.FORGERYBENCH_SPLITS_DIR).rglob(key.name))
    before = installation_key()
    again = dataset_import("videolist", root=root, definitions=definitions)
    assert "keyed/video/test: unchanged (2 samples)" in again.lines
    assert installation_key() == before


def test_an_empty_id_key_is_refused_everywhere(tmp_path) -> None:
    root = _copy(tmp_path / "copy")
    definitions = parse_definition(DEFINITION, "keyed.yaml")
    with pytest.raises(EmptyIdKey):
        dataset_import("videolist", root=root, definitions=definitions, id_key="")
    args = ["import_dataset", "videolist", "--root", str(root), "--quiet"]
    with pytest.raises(CommandError, match="--id-key must not be empty"):
        call_command(*args, "--definitions", str(_definition(tmp_path)), "--id-key", "")
    assert not Split.objects.filter(track__benchmark__slug="keyed").exists()
    with pytest.raises(ValueError, match="empty id key"):
        import_split(
            "videolist",
            root=root,
            split="test",
            options={"mode": "video"},
            inputs_dir=tmp_path / "in",
            labels_dir=tmp_path / "lab",
            track="keyed/video",
            id_key="",
        )
    assert not (tmp_path / "in").exists()


def _built_by_public_seed(tmp_path: Path, name: str, seed: int) -> tuple[str, str]:
    from benchmarks.smoke.detect import build_detection_split

    inputs, labels = tmp_path / name / "in", tmp_path / name / "lab"
    build_detection_split(
        inputs_dir=inputs,
        labels_dir=labels,
        split=name,
        count=8,
        seed=seed,
        track="generated/image",
    )
    return (inputs / "manifest.jsonl").read_text(), (labels / "truth.jsonl").read_text()


def test_hidden_generated_splits_cannot_be_rebuilt_from_the_public_definition(tmp_path) -> None:
    from benchmarks.definitions_apply import definitions_apply

    definitions_apply(parse_definition(GENERATED, "generated.yaml"))
    val = Split.objects.get(track__benchmark__slug="generated", name="val")
    test = Split.objects.get(track__benchmark__slug="generated", name="test")
    # The public split is what its declared seed gives, byte for byte (docs stay reproducible).
    manifest, truth = _built_by_public_seed(tmp_path, "val", 1)
    assert (Path(val.inputs_dir) / "manifest.jsonl").read_text() == manifest
    assert Path(val.labels_path).read_text() == truth
    # The hidden one is not: its ids and images come from the installation's key.
    manifest, truth = _built_by_public_seed(tmp_path, "test", 2)
    hidden = {json.loads(line)["id"] for line in Path(test.labels_path).read_text().splitlines()}
    public = {json.loads(line)["id"] for line in truth.splitlines()}
    assert len(hidden) == 8 and not hidden & public
    guessed = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (tmp_path / "test" / "in" / "images").iterdir()
    }
    held = {
        hashlib.sha256(p.read_bytes()).hexdigest()
        for p in (Path(test.inputs_dir) / "images").iterdir()
    }
    assert held and not held & guessed
    assert test.metadata["recipe"] == {
        "generator": "smoke-detect",
        "version": 1,
        "count": 8,
        "seed": 2,
        "seed_key": "installation",
    }
    # Loading again rebuilds nothing: the key is the installation's, made once.
    lines = definitions_apply(parse_definition(GENERATED, "generated.yaml")).lines
    assert not any(line.endswith(")") and ": built (" in line for line in lines)

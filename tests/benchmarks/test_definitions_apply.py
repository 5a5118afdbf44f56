"""load_benchmarks / import_dataset against the database: idempotent, in place, and refusing
changes that would invalidate scored results."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.services import team_create
from audit.models import AuditAction, AuditEntry
from benchmarks.definitions_apply import DefinitionConflict, definitions_apply
from benchmarks.models import Benchmark, Phase, Split, Track
from benchmarks.selectors import track_results_generation
from benchmarks.spec import parse_definition
from leaderboards.robustness import robustness_results
from submissions.models import Result, Submission
from tests.benchmarks import media
from tests.support import finished_result

pytestmark = pytest.mark.django_db

DEFINITION = """
benchmarks:
  - slug: tiny
    name: Tiny
    synthetic: true
    phases:
      - {slug: open, name: Open, starts: 2026-01-01, ends: 2026-06-30, final_picks: 3}
    tracks:
      - slug: image
        name: Image
        task: detection
        limits: {timeout_seconds: 120, memory_mb: 512, cpus: 0.5}
        source: {generator: smoke-detect}
        splits:
          - {name: val, visibility: public, count: 8, seed: 1}
          - {name: test, visibility: hidden, count: 8, seed: 2}
      - slug: robust
        name: Robust
        task: detection
        robustness:
          of: {track: image, split: test}
          seed: 3
          sample: 4
          perturbations: {jpeg: [90, 30], blur: [2]}
"""


def _apply(text: str = DEFINITION) -> list[str]:
    return definitions_apply(parse_definition(text, "tiny.yaml")).lines


def _score(split: Split, value: float, method: str = "m") -> Result:
    """A finished result of ``method`` (one team per method), as the score step writes it."""
    previous = Submission.objects.filter(method_name=method).first()
    team = previous.team if previous else team_create(name=f"team-{method}")
    return finished_result(
        track=split.track,
        split=split,
        team=team,
        method=method,
        metrics={"auc": value},
        primary_value=value,
    )


def test_load_is_idempotent_and_updates_in_place() -> None:
    first = _apply()
    assert any("tiny/image/val: built" in line for line in first)
    assert any("tiny/robust/jpeg-q30: built" in line for line in first)
    track = Track.objects.get(benchmark__slug="tiny", slug="image")
    assert (track.timeout_seconds, track.memory_mb, float(track.cpus)) == (120, 512, 0.5)
    robust = Track.objects.get(benchmark__slug="tiny", slug="robust")
    assert robust.robustness_of == track
    splits = {s.name: s for s in robust.splits.exclude(name="debug")}
    assert set(splits) == {"clean", "jpeg-q90", "jpeg-q30", "blur-s2"}
    # The debug split: the source track's debug split at the first perturbation's last level.
    debug = robust.splits.get(name="debug")
    assert debug.visibility == "public" and debug.metadata["recipe"]["level"] == 30
    assert splits["jpeg-q30"].perturbation == "jpeg" and splits["jpeg-q30"].level == 30
    assert splits["jpeg-q30"].metadata["perturbation"]["seed"] == 3
    assert all(s.visibility == "hidden" and s.sample_count == 4 for s in splits.values())
    phase = Phase.objects.get(benchmark__slug="tiny")
    assert phase.final_picks == 3 and phase.ends_at is not None
    ids = {s.pk: s.inputs_sha256 for s in Split.objects.all()}

    again = _apply(DEFINITION.replace("name: Image\n", "name: Image v2\n"))
    assert not any("built" in line for line in again), "nothing is rebuilt when nothing changed"
    assert {s.pk: s.inputs_sha256 for s in Split.objects.all()} == ids
    assert Track.objects.get(pk=track.pk).name == "Image v2"
    assert Benchmark.objects.get(slug="tiny").definition_file == "tiny.yaml"


def test_changes_that_would_invalidate_results_are_refused() -> None:
    _apply()
    test = Split.objects.get(track__slug="image", name="test")
    _score(test, 0.8)
    changed = DEFINITION.replace("count: 8, seed: 2", "count: 8, seed: 5")
    changed = changed.replace(
        "task: detection\n        limits",
        "task: detection\n        primary_metric: ap\n        limits",
    )
    with pytest.raises(DefinitionConflict) as caught:
        _apply(changed)
    text = str(caught.value)
    assert "tiny.yaml: tiny/image/test: recipe" in text and "would replace its data" in text
    assert "primary_metric auc -> ap on a scored track" in text
    assert Split.objects.get(pk=test.pk).metadata["recipe"]["seed"] == 2, "nothing was written"
    # The unscored val split may change: it is rebuilt in place.
    lines = _apply(DEFINITION.replace("count: 8, seed: 1", "count: 8, seed: 9"))
    assert any("tiny/image/val: built" in line for line in lines)
    out = io.StringIO()
    with pytest.raises(CommandError, match="would invalidate existing results"):
        call_command("load_benchmarks", str(_write(changed)), stdout=out)
    # --check lists them too, every one at once, and writes nothing.
    with pytest.raises(CommandError) as checked:
        call_command("load_benchmarks", "--check", str(_write(changed)), stdout=out)
    assert "primary_metric auc -> ap" in str(checked.value)
    assert "tiny/image/test: recipe" in str(checked.value)
    assert Split.objects.get(pk=test.pk).metadata["recipe"]["seed"] == 2


def _write(text: str) -> Path:
    from django.conf import settings

    path = Path(settings.DATA_DIR) / "definitions-under-test.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_load_benchmarks_command_reports_bad_files() -> None:
    bad = _write(DEFINITION.replace("task: detection", "task: deblurring", 1))
    with pytest.raises(
        CommandError, match=r"definitions-under-test.yaml: benchmarks\[0\]\.tracks\[0\]\.task"
    ):
        call_command("load_benchmarks", str(bad), stdout=io.StringIO())
    out = io.StringIO()
    call_command("load_benchmarks", "--check", stdout=out)
    assert "definitions OK" in out.getvalue()


def test_robustness_selector_ranks_skill_retained_above_chance() -> None:
    _apply()
    robust = Track.objects.get(slug="robust")
    values = {
        "hf": {"clean": 0.8, "jpeg-q90": 0.8, "jpeg-q30": 0.4, "blur-s2": 0.6},
        "strong": {"clean": 0.9, "jpeg-q90": 0.9, "jpeg-q30": 0.8, "blur-s2": 0.85},
        # A coin flip keeps "100%" of its AUC under any perturbation: it must not rank.
        "coin": {"clean": 0.5, "jpeg-q90": 0.5, "jpeg-q30": 0.5, "blur-s2": 0.5},
    }
    for method, by_split in values.items():
        for split in robust.splits.exclude(name="debug"):
            _score(split, by_split[split.name], method=method)
    assert robustness_results(track=robust) == [], "hidden results stay hidden until published"
    Split.objects.filter(track=robust).update(published_through=timezone.now())
    strong, hf, coin = robustness_results(track=robust)
    assert (strong.method, hf.method, coin.method) == ("strong", "hf", "coin")
    assert (strong.rank, hf.rank, coin.rank) == (1, 2, None)
    assert hf.clean == 0.8
    assert [(lv.split, lv.value) for lv in hf.levels] == [
        ("blur-s2", 0.6), ("jpeg-q90", 0.8), ("jpeg-q30", 0.4)
    ]  # fmt: skip
    assert hf.mean_by_perturbation == {"blur": 0.6, "jpeg": pytest.approx(0.6)}
    # (mean over levels - 0.5) / (clean - 0.5)
    assert hf.skill.chance == 0.5 and hf.skill.value == pytest.approx((0.6 - 0.5) / 0.3)
    assert hf.skill.by_kind["jpeg"].value == pytest.approx((0.6 - 0.5) / 0.3)
    assert strong.skill.value == pytest.approx((0.85 - 0.5) / 0.4)
    assert hf.skill.interval is None, "no per-unit tables here: no interval"
    assert coin.skill.at_chance


def test_import_dataset_command_registers_and_refuses_to_replace_scored_data() -> None:
    from django.conf import settings

    # Its own slug and folders: other tests import a "listed" benchmark into the same data folder.
    root = Path(settings.DATA_DIR) / "copies" / "lists-copy"
    for n, name in enumerate(("a.mp4", "b.mp4", "c.mp4", "d.mp4")):
        media.mp4(root / "v" / name, frames=2, seed=n)
    (root / "lists").mkdir(exist_ok=True)
    (root / "lists" / "val.txt").write_text("0 v/a.mp4\n1 v/b.mp4\n")
    (root / "lists" / "test.txt").write_text("0 v/c.mp4\n1 v/d.mp4\n")
    definition = _write(
        """
benchmarks:
  - slug: listed-loading
    name: Listed
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
    )
    out = io.StringIO()
    call_command("load_benchmarks", str(definition), stdout=out)
    assert "listed-loading/frames/test: awaiting import" in out.getvalue()
    args = ["import_dataset", "videolist", "--root", str(root), "--definitions", str(definition)]
    call_command(*args, "--quiet", stdout=out)
    test = Split.objects.get(track__benchmark__slug="listed-loading", name="test")
    assert test.sample_count == 4 and test.metadata["import"]["frames_per_video"] == 2
    # One video a class: the scan runs and its line is in the report.
    assert test.shortcut_scan is not None and test.shortcut_scan["units"] == 2
    assert "listed-loading/frames/test: shortcut scan: " in out.getvalue()
    assert (
        json.loads(Path(test.labels_path).with_name("import.json").read_text())["split"] == "test"
    )
    out = io.StringIO()
    call_command(*args, "--quiet", stdout=out)
    assert "listed-loading/frames/test: unchanged" in out.getvalue()
    _score(test, 0.5)
    (root / "lists" / "test.txt").write_text("1 v/c.mp4\n0 v/d.mp4\n")
    with pytest.raises(CommandError, match="refused: results were scored on the current files"):
        call_command(*args, "--quiet", stdout=io.StringIO())
    (root / "lists" / "val.txt").write_text("0 v/a.mp4\n0 v/b.mp4\n")
    with pytest.raises(CommandError, match="every sample has label 0"):
        call_command(*args, "--quiet", stdout=io.StringIO())


def test_entry_rule_and_an_ood_split_load_and_change_in_place(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with_ood = DEFINITION.replace(
        "          - {name: test, visibility: hidden, count: 8, seed: 2}\n",
        "          - {name: test, visibility: hidden, count: 8, seed: 2}\n"
        "          - {name: ood, visibility: ood, count: 8, seed: 4, variant: shifted}\n",
    ).replace(
        "        task: detection\n        limits",
        "        task: detection\n        entry_rule: last\n        limits",
    )
    lines = _apply(with_ood)
    assert any("tiny/image/ood: built" in line for line in lines)
    track = Track.objects.get(benchmark__slug="tiny", slug="image")
    assert track.entry_rule == "last"
    ood = track.splits.get(name="ood")
    assert ood.visibility == Split.Visibility.OOD and ood.sample_count == 8
    assert ood.metadata["recipe"]["variant"] == "shifted"
    test = track.splits.get(name="test")
    assert "variant" not in test.metadata["recipe"], "old recipes unchanged: nothing rebuilt"
    kinds = {
        json.loads(line)["kind"]
        for line in (Path(ood.labels_path).parent / "provenance.jsonl").read_text().splitlines()
    }
    assert kinds == {"authentic", "inpaint"}, "another forgery recipe than val and test"
    _score(test, 0.7)  # a scored track: its entry rule may still change in place
    before = track_results_generation(benchmark_slug="tiny", track_slug="image")
    with django_capture_on_commit_callbacks(execute=True):
        _apply(with_ood.replace("entry_rule: last", "entry_rule: best"))
    track.refresh_from_db()
    assert track.entry_rule == "best"
    # The reload is audited like any definition change, and the cached boards re-rank.
    entry = AuditEntry.objects.filter(
        action=AuditAction.DEFINITION_CHANGED, target_type="track", target_id=str(track.pk)
    ).latest("seq")
    assert entry.payload["before"]["entry_rule"] == "last"
    assert entry.payload["after"]["entry_rule"] == "best"
    after = track_results_generation(benchmark_slug="tiny", track_slug="image")
    assert before is not None and after is not None and after > before

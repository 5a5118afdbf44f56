"""The score step records the disclosure policy with the Result and, when the phase declares a
public fraction, scores the public and private parts of the hidden split each on its own."""

import json
from pathlib import Path

import pytest

from benchmarks.models import Phase
from evaluator.metrics import load_table
from evaluator.parts import public_units, table_subset
from submissions.artifacts import unit_table_path
from submissions.models import SplitRun, Status, Submission
from submissions.pipeline import split_score_run

pytestmark = pytest.mark.django_db


def _predict(split, folder: Path) -> None:  # type: ignore[no-untyped-def]
    ids = [
        json.loads(line)["id"]
        for line in (Path(split.inputs_dir) / "manifest.jsonl").read_text().splitlines()
    ]
    folder.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({"id": i, "score": (int(i, 16) % 997) / 997}) for i in ids]
    (folder / "predictions.jsonl").write_text("\n".join(lines) + "\n")


def test_parts_and_policy_are_recorded_and_the_private_part_is_scored_alone(
    people, smoke_track, tmp_path
) -> None:
    Phase.objects.filter(benchmark=smoke_track.benchmark).update(
        public_fraction=0.25, public_seed=5, publication_schedule=["2026-03-01T00:00:00+00:00"]
    )
    submission = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="other: x",
        image_id="sha256:" + "c" * 64,
        image_reference="example/m:1",
        status=Status.SCORING,
    )
    results = {}
    for name in ("val", "test"):
        split = smoke_track.splits.get(name=name)
        _predict(split, tmp_path / name)
        run = SplitRun.objects.create(
            submission=submission, split=split, artifacts_dir=str(tmp_path / name), exit_code=0
        )
        results[name] = split_score_run(submission=submission, run=run)
    test = results["test"]
    assert test.disclosure["phase"] == "open" and test.disclosure["public_fraction"] == 0.25
    assert test.disclosure["schedule"] == ["2026-03-01T00:00:00+00:00"]
    assert results["val"].parts == {}, "public splits have no parts"
    table = load_table(unit_table_path(submission_id=submission.pk, split_name="test"))
    public = public_units(table.units, fraction=0.25, seed=5)
    private = table_subset(table, frozenset(table.units) - public)
    assert test.parts["private"]["metrics"] == private.compute_all()
    assert test.parts["public"]["n_units"] == len(public) == round(0.25 * len(table.units))
    assert test.parts["private"]["n_units"] == len(table.units) - len(public)
    assert test.parts["public"]["metrics"]["auc"] != test.parts["private"]["metrics"]["auc"]

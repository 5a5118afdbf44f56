"""Benchmarks, tracks, leaderboards as JSON and CSV, and the public sample archive."""

import io
import json
import tarfile
from pathlib import Path

import pandas as pd
import pytest
from django.test import Client

from benchmarks.models import Split
from evaluator.scoring import evaluate
from submissions.models import Submission
from tests.support import finished_result

pytestmark = pytest.mark.django_db


def _score_a_submission(people, track, tmp_path: Path, method: str = "Oracle-ish") -> Submission:
    """A finished submission whose val result comes from really scoring a predictions file."""
    split = track.splits.get(name="val")
    truth = Path(split.labels_path)
    predictions = tmp_path / "predictions.jsonl"
    with predictions.open("w") as out:
        for line in truth.read_text().splitlines():
            row = json.loads(line)
            out.write(json.dumps({"id": row["id"], "score": 0.9 if row["label"] else 0.2}) + "\n")
    report = evaluate(track.task, truth, predictions, primary=track.primary_metric).result
    # With a complete provenance record, as the score step writes it: boards show no other.
    result = finished_result(
        track=track,
        split=split,
        team=people.team,
        method=method,
        metrics=report,
        primary_value=report[track.primary_metric],
    )
    return result.submission


def test_benchmarks_and_a_track(smoke_track) -> None:
    listing = Client().get("/api/v1/benchmarks/").json()
    assert [b["slug"] for b in listing] == ["smoke-detect"]
    track = listing[0]["tracks"][0]
    assert track["id"] == "smoke-detect/image"
    assert {s["name"]: s["visibility"] for s in track["splits"]} == {
        "debug": "public",
        "val": "public",
        "test": "hidden",
        "ood": "ood",
    }
    detail = Client().get("/api/v1/tracks/smoke-detect/image/")
    assert detail.json()["primary_metric"] == "auc"
    missing = Client().get("/api/v1/tracks/smoke-detect/nope/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "track_not_found"


def test_leaderboard_json_and_exports(people, smoke_track, tmp_path) -> None:
    submission = _score_a_submission(people, smoke_track, tmp_path)
    board = Client().get("/api/v1/tracks/smoke-detect/image/leaderboard/").json()
    val = next(b for b in board["splits"] if b["split"] == "val")
    test = next(b for b in board["splits"] if b["split"] == "test")
    assert val["rows"][0]["submission_id"] == submission.pk
    assert val["rows"][0]["primary"] == pytest.approx(1.0)
    assert test["results_visible"] is False and test["rows"] == []

    csv = Client().get("/api/v1/tracks/smoke-detect/image/leaderboard/export/?format=csv")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(csv.content.decode()))
    assert list(frame["method"]) == ["Oracle-ish"]
    assert frame.loc[0, "auc"] == pytest.approx(1.0)
    assert {"auc_ci_low", "auc_ci_high", "split", "team"} <= set(frame.columns)
    as_json = Client().get("/api/v1/tracks/smoke-detect/image/leaderboard/export/?format=json")
    assert as_json.json()[0]["team"] == "Team Owl"
    bad = Client().get("/api/v1/tracks/smoke-detect/image/leaderboard/export/?format=xls")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_format"


def test_csv_exports_never_start_a_cell_with_a_formula(people, smoke_track, tmp_path) -> None:
    import csv as csv_module

    from accounts.models import Team

    _score_a_submission(people, smoke_track, tmp_path, method="@SUM(1+1)")
    Team.objects.filter(pk=people.team.pk).update(name='=HYPERLINK("http://x.test","Owl")')
    exports = [
        Client().get("/api/v1/tracks/smoke-detect/image/leaderboard/export/?format=csv"),
        Client().get("/b/smoke-detect/image/val.csv"),
    ]
    for response in exports:
        assert response.status_code == 200
        rows = list(csv_module.DictReader(io.StringIO(response.content.decode())))
        assert rows[0]["team"] == '\'=HYPERLINK("http://x.test","Owl")'
        assert rows[0]["method"] == "'@SUM(1+1)"
        cells = [cell for row in rows for cell in row.values()]
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)
    # Numbers stay numbers: a negative value is not text to neutralise.
    from leaderboards.exports import frame_csv

    text = frame_csv(pd.DataFrame({"team": ["-1+1", "ok"], "delta": [-0.5, 0.25]}))
    assert text.splitlines() == ["team,delta", "'-1+1,-0.5", "ok,0.25"]


def test_the_public_sample_archive_holds_inputs_truth_and_limits(smoke_track) -> None:
    response = Client().get("/api/v1/tracks/smoke-detect/image/splits/val/archive/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        names = set(archive.getnames())
        sample = json.load(archive.extractfile("sample.json"))  # type: ignore[arg-type]
    val = smoke_track.splits.get(name="val")
    assert {"inputs/manifest.jsonl", "inputs/task.json", sample["truth"]} <= names
    assert sample["task"] == "detection" and sample["memory_mb"] == smoke_track.memory_mb
    assert sample["inputs_sha256"] == val.inputs_sha256
    assert sum(1 for n in names if n.startswith("inputs/images/")) == val.sample_count


def test_the_public_archive_carries_no_provenance_or_import_record(smoke_track) -> None:

    from api.archives import split_archive_build

    val = smoke_track.splits.get(name="val")
    labels = Path(val.labels_path).parent
    # What an importer keeps beside the truth: ids back to source paths, the import record.
    (labels / "provenance.jsonl").write_text('{"id": "x", "source": "fake/x.png"}\n')
    (labels / "import.json").write_text("{}\n")
    with tarfile.open(split_archive_build(split=val)) as archive:
        names = [n for n in archive.getnames() if n.startswith("labels/")]
    assert names and all(n == "labels/truth.jsonl" or n.startswith("labels/masks") for n in names)


def test_a_hidden_split_is_never_served(smoke_track) -> None:
    assert smoke_track.splits.get(name="test").visibility == Split.Visibility.HIDDEN
    response = Client().get("/api/v1/tracks/smoke-detect/image/splits/test/archive/")
    assert response.status_code == 403
    assert response.json()["code"] == "split_not_public"


def test_the_docs_page_renders_from_the_schema_without_a_cdn(db) -> None:
    schema = Client().get("/api/schema/")
    assert schema.status_code == 200
    page = Client().get("/api/docs/").content.decode()
    assert "/api/v1/uploads/{upload_id}/" in page and "Idempotency-Key" in page
    assert "<script" not in page and "cdn" not in page.lower()

"""Audit bundles: everything needed to recompute offline, the labels never."""

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.test import Client

from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]


def test_a_leaderboard_bundle_recomputes_offline_to_the_same_numbers(
    score, baseline_image, reviewer, people, tmp_path
) -> None:
    results = results_of(score(baseline_image("highfreq")))
    split = results.test.split
    client = Client()
    client.force_login(people.owner)
    assert client.get(f"/audit/splits/{split.pk}/bundle.zip").status_code == 403
    client.force_login(reviewer)
    response = client.get(f"/audit/splits/{split.pk}/bundle.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as bundle:
        names = bundle.namelist()
        bundle.extractall(tmp_path)
    folder = f"results/{results.test.pk}"
    assert {
        f"{folder}/predictions/predictions.jsonl",
        f"{folder}/provenance.json",
        f"{folder}/result.json",
        "hashes.json",
        "audit_head.json",
        "rescore.sh",
        "README.txt",
        "SHA256SUMS",
    } <= set(names)
    from audit.anchor import anchor_read
    from audit.selectors import audit_anchor_current

    assert anchor_read((tmp_path / "audit_head.json").read_bytes()) == audit_anchor_current()
    assert not any("truth" in name or name.endswith(".npz") for name in names), (
        "no labels, no unit tables"
    )
    labels = Path(split.labels_path).read_bytes()
    assert all(labels not in (tmp_path / name).read_bytes() for name in names)
    for line in (tmp_path / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == digest
    hashes = json.loads((tmp_path / "hashes.json").read_text())
    assert hashes["splits"][0]["labels_sha256"] == split.labels_sha256
    assert hashes["splits"][0]["manifest_sha256"] == split.inputs_sha256

    # A reviewer with the sealed truth file runs the bundle's own command.
    truth = tmp_path / hashes["splits"][0]["truth_file"]
    truth.parent.mkdir(parents=True)
    shutil.copyfile(split.labels_path, truth)
    env = dict(
        os.environ, PYTHONPATH=str(ROOT), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    )
    subprocess.run(["sh", "rescore.sh"], cwd=tmp_path, env=env, check=True, timeout=300)
    rescored = json.loads((tmp_path / folder / "rescored.json").read_text())
    stored = json.loads((tmp_path / folder / "result.json").read_text())
    assert rescored == stored["metrics"] == results.test.metrics


def test_a_result_bundle_refuses_changed_predictions(score, baseline_image, reviewer) -> None:
    from submissions.models import Provenance

    result = results_of(score(baseline_image("sanity"))).val
    archive = Path(Provenance.objects.get(result=result).predictions_path)
    client = Client()
    client.force_login(reviewer)
    assert client.get(f"/audit/results/{result.pk}/bundle.zip").status_code == 200
    archive.write_bytes(archive.read_bytes()[:-1])
    response = client.get(f"/audit/results/{result.pk}/bundle.zip")
    assert response.status_code == 409 and b"changed since scoring" in response.content

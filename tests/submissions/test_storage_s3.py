"""Stored predictions in an S3-compatible bucket, for real: a moto server in a subprocess.

The score step hands each finished archive and unit table to Django's `artifacts` storage;
every read fetches the object afresh and checks its digest, so a changed or missing object is
named exactly as a changed or missing file is.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from review.rescoring import result_rescore
from submissions.models import Provenance
from submissions.storage import STORAGE_PREFIX, StoredPredictionsError, audit_dir_for, checked
from tests.support import results_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto.server", reason="moto[server] is a test dependency")

BUCKET = "forgerybench-artifacts"
KEYS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real S3-compatible HTTP server (moto) on a free local port."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=dict(os.environ, AWS_ACCESS_KEY_ID="test-key", AWS_SECRET_ACCESS_KEY="x"),
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moto server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **KEYS)
    client.create_bucket(Bucket=BUCKET)
    yield endpoint
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def bucket(settings, s3_endpoint: str):  # type: ignore[no-untyped-def]
    """The artifacts storage switched to the bucket, as FORGERYBENCH_ARTIFACT_STORAGE=s3 does."""
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": KEYS["aws_access_key_id"],
                "secret_key": KEYS["aws_secret_access_key"],
                "location": "artifacts",
                "default_acl": None,
                "file_overwrite": True,
            },
        },
    }
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **KEYS)
    yield client
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    for item in listed:
        client.delete_object(Bucket=BUCKET, Key=item["Key"])


def _key(location: str) -> str:
    return "artifacts/" + location.removeprefix(STORAGE_PREFIX)


def test_scored_predictions_go_to_the_bucket_and_are_read_back_checked(
    bucket, score, baseline_image
) -> None:
    submission = score(baseline_image("sanity"))
    result = results_of(submission).test
    p = Provenance.objects.get(result=result)
    assert p.predictions_path.startswith(STORAGE_PREFIX), p.predictions_path
    assert p.units_path.startswith(STORAGE_PREFIX)
    # Nothing is left in the local audit folder: the bucket holds the only copy.
    local_folder = audit_dir_for(submission_id=submission.pk, split_name="test")
    assert not (local_folder / "predictions.tar.gz").exists()
    assert not (local_folder / "units.npz").exists()
    stored = bucket.get_object(Bucket=BUCKET, Key=_key(p.predictions_path))["Body"].read()
    assert len(stored) == p.predictions_size
    local = checked(p.predictions_path, p.predictions_sha256)
    assert local.read_bytes() == stored
    # Rescoring reads the stored predictions from the bucket and finds the same metrics.
    report = result_rescore(result=result)
    assert report.matches, (report.error, report.differences)


def test_a_changed_or_missing_object_is_named(bucket, score, baseline_image) -> None:
    submission = score(baseline_image("sanity"))
    p = Provenance.objects.get(result=results_of(submission).val)
    key = _key(p.predictions_path)
    bucket.put_object(Bucket=BUCKET, Key=key, Body=b"not the archive that was scored")
    with pytest.raises(StoredPredictionsError, match="changed since scoring"):
        checked(p.predictions_path, p.predictions_sha256)
    bucket.delete_object(Bucket=BUCKET, Key=key)
    with pytest.raises(StoredPredictionsError, match="missing"):
        checked(p.predictions_path, p.predictions_sha256)


def test_the_s3_settings_read_keys_from_secret_files(tmp_path: Path) -> None:
    secret = tmp_path / "s3_secret_access_key"
    secret.write_text("from-a-file\n")
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "o = settings.STORAGES['artifacts']['OPTIONS']; print(o['bucket_name'], o['secret_key'])"
    )
    env = dict(
        os.environ,
        DEBUG="1",
        FORGERYBENCH_ARTIFACT_STORAGE="s3",
        FORGERYBENCH_S3_BUCKET="b1",
        FORGERYBENCH_S3_SECRET_ACCESS_KEY_FILE=str(secret),
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert done.stdout.split() == ["b1", "from-a-file"], done.stderr
    env.pop("FORGERYBENCH_S3_BUCKET")
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0 and "FORGERYBENCH_S3_BUCKET is required" in done.stderr

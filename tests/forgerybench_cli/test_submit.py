"""`forgerybench submit`: export, upload through a connection that drops, resume, submit."""

import hashlib

import pytest

from api.models import UploadSession
from submissions.models import Submission
from tests.api.conftest import SCRATCH_TAG

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


def test_submit_resumes_after_a_dropped_connection(
    cli, dropping_proxy, people, smoke_track, token_for, scratch_tarball, docker_client
) -> None:
    proxy = dropping_proxy(1_200_000)  # cut the connection inside the first megabytes
    env = {"FORGERYBENCH_SERVER": proxy.url, "FORGERYBENCH_TOKEN": token_for(people.owner)}
    result = cli(
        "submit",
        SCRATCH_TAG,
        "--track",
        "smoke-detect/image",
        "--method",
        "Scratch net",
        "--training-data",
        "other: nothing",
        "--chunk-mb",
        "1",
        **env,
    )
    assert result.exit_code == 0, result.output
    assert proxy.dropped == 1
    assert "connection lost" in result.output and "resuming" in result.output
    submission = Submission.objects.get()
    assert f"submission {submission.pk} queued" in result.output
    assert submission.method_name == "Scratch net"
    # What arrived is byte for byte what the engine exports.
    digest = hashlib.sha256()
    for chunk in docker_client.images.get(SCRATCH_TAG).save(named=True):
        digest.update(chunk)
    assert submission.tarball_sha256 == digest.hexdigest()
    assert UploadSession.objects.get().state == "submitted"


def test_submit_names_a_missing_image(cli, live_server, people, token_for, db) -> None:
    env = {"FORGERYBENCH_SERVER": live_server.url, "FORGERYBENCH_TOKEN": token_for(people.owner)}
    result = cli(
        "submit",
        "no/such-image:1",
        "--track",
        "a/b",
        "--method",
        "m",
        "--training-data",
        "x",
        **env,
    )
    assert result.exit_code == 2 and "image_not_found" in result.output

"""An uploaded image reaches a run agent only through the platform's image store, and the agent
loads nothing but the exact image its job names."""

import contextlib
import hashlib
import io
import secrets
import tarfile
from pathlib import Path

import docker
import docker.errors
import pytest

from submissions.images import image_store_dir
from submissions.models import Result, Status, Submission
from submissions.pipeline import submission_score
from submissions.services import submission_create_from_tarball
from tests.agents import submission_run_here
from tests.support import image_tarball

pytestmark = [pytest.mark.docker, pytest.mark.django_db]

NOWHERE = "tcp://127.0.0.1:9"  # no Docker engine answers there


def _held(client: docker.DockerClient, image_id: str) -> bool:
    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


def _submit(people, track, path: Path, monkeypatch) -> Submission:  # type: ignore[no-untyped-def]
    """Intake as the web process does it: with no engine reachable."""
    data_sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            data_sha.update(block)
    size = path.stat().st_size
    with monkeypatch.context() as env:
        env.setenv("DOCKER_HOST", NOWHERE)
        return submission_create_from_tarball(
            team=people.team,
            track=track,
            user=people.owner,
            tarball_path=path,
            tarball_sha256=data_sha.hexdigest(),
            tarball_size=size,
            method_name="fetched",
            training_data="other: none",
        )


@pytest.fixture
def unheld_sanity(docker_client, baseline_image, tmp_path):  # type: ignore[no-untyped-def]
    """A `docker save` tarball of an image the engine does not hold: the sanity baseline with
    a new label (its layers, a new ID), saved, then removed from the engine."""
    baseline_image("sanity")
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM forgerybench/baseline-sanity:latest\nLABEL test.nonce={secrets.token_hex(8)}\n"
    )
    image, _ = docker_client.images.build(path=str(context), pull=False, rm=True)
    tarball = tmp_path / "image.tar"
    with tarball.open("wb") as handle:
        for chunk in image.save(named=False):
            handle.write(chunk)
    docker_client.images.remove(image.id, force=True)  # the baseline keeps the layers
    yield tarball, image.id
    with contextlib.suppress(docker.errors.APIError):
        docker_client.images.remove(image.id, force=True)


def test_an_uploaded_image_is_fetched_checked_and_run_by_an_agent_that_lacks_it(
    people, smoke_track, docker_client, unheld_sanity, monkeypatch
) -> None:
    tarball, image_id = unheld_sanity
    submission = _submit(people, smoke_track, tarball, monkeypatch)
    assert submission.image_id == image_id
    assert (image_store_dir() / f"{image_id[7:]}.tar").is_file()
    assert not _held(docker_client, image_id), "intake put nothing into an engine"
    submission_run_here(submission_id=submission.pk)
    submission.refresh_from_db()
    if submission.status == Status.SCORING:
        submission_score(submission_id=submission.pk)
        submission.refresh_from_db()
    assert submission.status == Status.FINISHED, submission.failure_reason
    assert Result.objects.filter(submission=submission).count() == 3
    assert docker_client.images.get(image_id).tags == [f"forgerybench-submission:{image_id[7:]}"]


def _rewrite(path: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Rewrite a tarball in place, each regular member's bytes through change(name, data)."""
    members = []
    with tarfile.open(path) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read() if member.isreg() else b""  # type: ignore[union-attr]
            members.append((member, change(member.name, data) if member.isreg() else None))
    with tarfile.open(path, "w") as tar:
        for member, data in members:
            if data is None:
                tar.addfile(member)
            else:
                member.size = len(data)
                tar.addfile(member, io.BytesIO(data))


def _other_layer(name: str, data: bytes) -> bytes:
    if not name.endswith("layer.tar"):
        return data
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        layer.addfile(tarfile.TarInfo("planted.txt"), io.BytesIO(b""))
    return buffer.getvalue()


def _other_entrypoint(name: str, data: bytes) -> bytes:
    return data.replace(b'"/hello"', b'"/planted"') if name.endswith(".json") else data


@pytest.mark.parametrize(
    ("tamper", "refused_by"),
    # a layer that is not its diff ID: the agent's stream stops at it, before the engine would
    [(_other_entrypoint, "image_mismatch"), (_other_layer, "layer_mismatch")],
    ids=["config", "layer"],
)
def test_a_store_copy_tampered_with_after_intake_is_never_loaded(
    people, smoke_track, docker_client, tmp_path, monkeypatch, tamper, refused_by
) -> None:
    path = tmp_path / "image.tar"
    (image_id,) = image_tarball(path)
    submission = _submit(people, smoke_track, path, monkeypatch)
    stored = image_store_dir() / f"{image_id[7:]}.tar"
    _rewrite(stored, tamper)
    with tarfile.open(stored) as tar:
        config = tar.extractfile(f"{image_id[7:]}.json").read()  # type: ignore[union-attr]
    tampered_id = f"sha256:{hashlib.sha256(config).hexdigest()}"  # what an engine would load
    submission_run_here(submission_id=submission.pk)
    submission.refresh_from_db()
    # The store was damaged, not the team's image: a platform failure, never counted.
    assert (submission.status, submission.failure_code) == (Status.FAILED, "platform_error")
    assert f"the platform's copy of image {image_id}" in submission.failure_reason
    assert f"({refused_by or 'not_an_image'})" in submission.failure_reason
    assert not _held(docker_client, image_id)
    assert not _held(docker_client, tampered_id)

"""Images submitted by reference (the operator's path): resolved in the operator's engine,
their copy put into the image store, so an agent that lacks them fetches them too."""

import contextlib
import json
import tarfile

import docker
import docker.errors
import pytest
from django.test import override_settings

from runagent.images import image_load_checked
from submissions.images import image_store_dir
from submissions.models import Submission
from submissions.services import submission_create_from_image
from tests.agents import submission_run_here
from tests.support import image_tarball

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


@pytest.fixture
def engine_image(docker_client, tmp_path):  # type: ignore[no-untyped-def]
    """A tiny image in the engine (one small layer), named `forgerybench-submission:<id>`."""
    path = tmp_path / "tiny.tar"
    (image_id,) = image_tarball(path, tags=["team/tiny:1"])
    image_load_checked(docker_client, path=path, image_id=image_id)
    yield image_id
    with contextlib.suppress(docker.errors.APIError):
        docker_client.images.remove(image_id, force=True)
    (image_store_dir() / f"{image_id[7:]}.tar").unlink(missing_ok=True)


def _submit(people, track, reference: str) -> Submission:  # type: ignore[no-untyped-def]
    return submission_create_from_image(
        team=people.team,
        track=track,
        user=people.owner,
        image_reference=reference,
        method_name="by reference",
        training_data="other: none",
    )


@override_settings(FORGERYBENCH_STORE_REFERENCED_IMAGES=True)
def test_a_referenced_image_is_stored_untagged_and_fetched_by_an_agent_lacking_it(
    people, smoke_track, docker_client, engine_image
) -> None:
    reference = f"forgerybench-submission:{engine_image[7:]}"
    submission = _submit(people, smoke_track, reference)
    assert submission.image_id == engine_image
    stored = image_store_dir() / f"{engine_image[7:]}.tar"
    with tarfile.open(stored) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert set(manifest[0]) == {"Config", "Layers"}  # no tag survives the copy
    inode = stored.stat().st_ino
    _submit(people, smoke_track, reference)
    assert stored.stat().st_ino == inode, "the stored copy is reused"

    # An agent whose engine lacks the image fetches the store's copy (the tiny image then
    # fails to start: it has no program; what matters is that it was there to start).
    docker_client.images.remove(engine_image, force=True)
    submission_run_here(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.failure_code != "image_missing", submission.failure_reason
    assert docker_client.images.get(engine_image).id == engine_image


@override_settings(FORGERYBENCH_STORE_REFERENCED_IMAGES=False)
def test_without_a_store_copy_an_agent_lacking_the_image_says_so(
    people, smoke_track, docker_client, engine_image
) -> None:
    submission = _submit(people, smoke_track, f"forgerybench-submission:{engine_image[7:]}")
    assert not (image_store_dir() / f"{engine_image[7:]}.tar").exists()
    docker_client.images.remove(engine_image, force=True)
    submission_run_here(submission_id=submission.pk)
    submission.refresh_from_db()
    # The platform's gap, not the team's: named, and not counted.
    assert submission.failure_code == "image_missing"
    assert "the platform has no copy" in submission.failure_reason

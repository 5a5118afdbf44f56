"""Loading an image the platform sent into the agent's engine.

The agent trusts the platform's copy no more than the team's upload: the tarball must hold
exactly the image the job names (its config hashes to the job's image ID), pass the same
checks as intake, and reaches the engine with every tag stripped again. The engine itself
checks each layer against the config's diff IDs while loading, so the job's image ID pins
every byte. A refusal removes whatever the load added.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import docker
import docker.errors

from evaluator.image_tarball import (
    SUBMISSION_REPOSITORY,
    ImageIntakeError,
    image_tarball_check,
    not_an_image,
    untagged_stream,
)


def _image_ids(engine: docker.DockerClient) -> set[str]:
    return {image.id for image in engine.images.list(all=True) if image.id}


def image_remove(engine: docker.DockerClient, image_id: str) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        engine.images.remove(image_id, force=True, noprune=False)


def image_load_checked(engine: docker.DockerClient, *, path: Path, image_id: str) -> None:
    """Load the tarball at `path` as image `image_id`, untagged by whoever wrote it and named
    by the platform (`forgerybench-submission:<hex>`); ImageIntakeError when it is not
    exactly that image."""
    image_tarball_check(path=path, image_id=image_id)
    before = _image_ids(engine)
    errors: list[BaseException] = []
    stream = untagged_stream(path, errors)
    loaded: list[str] = []
    try:
        try:
            images = engine.images.load(stream)
        except (docker.errors.APIError, docker.errors.ImageLoadError) as exc:
            detail = getattr(exc, "explanation", None) or str(exc)
            raise not_an_image(detail) from None
        finally:
            stream.close()  # an engine that stopped reading: the writer thread ends too
        loaded = [image.id for image in images if image.id]
        if errors:
            raise not_an_image(str(errors[0]))
        if loaded != [image_id]:
            raise ImageIntakeError(
                "image_mismatch",
                f"the engine loaded {loaded}, not the one image {image_id} the job names",
            )
    except ImageIntakeError:
        # Nothing of a refused tarball stays (unless the engine held it before this load).
        for added in (set(loaded) | {image_id}) - before:
            image_remove(engine, added)
        raise
    images[0].tag(SUBMISSION_REPOSITORY, tag=image_id.removeprefix("sha256:"))

"""Loading an image the platform sent into the agent's engine.

The agent trusts the platform's copy no more than the team's upload: the tarball must hold
exactly the image the job names (its config hashes to the job's image ID), pass the same
checks as intake, and reaches the engine with every tag stripped again, under the same size
limits (a layer that unpacks past the limit or holds a sparse file stops the stream before
the engine sees that member). The engine itself checks each layer against the config's diff
IDs while loading, so the job's image ID pins every byte. After the load, what the engine
reports (tags, volumes, labels) must be what the checks read from the config: a difference
means the engine parsed the tarball otherwise, and the image is refused. A refusal removes
whatever the load added.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import docker
import docker.errors

from evaluator.image_tarball import (
    SUBMISSION_REPOSITORY,
    ImageIntakeError,
    ImageLimits,
    TarballImage,
    image_tarball_check,
    not_an_image,
    submission_image_name,
    untagged_stream,
)


def _image_ids(engine: docker.DockerClient) -> set[str]:
    """The IDs the engine holds, in one call (listing models would inspect each image, and
    fail when another process removes one meanwhile)."""
    return {str(image_id) for image_id in engine.api.images(all=True, quiet=True)}


def image_remove(engine: docker.DockerClient, image_id: str) -> None:
    with contextlib.suppress(docker.errors.ImageNotFound):
        engine.images.remove(image_id, force=True, noprune=False)


def engine_image_problem(
    engine: docker.DockerClient, image_id: str, expected: TarballImage
) -> ImageIntakeError | None:
    """Why the engine's view of a just-loaded image differs from the checked config (None:
    it does not): a tag other than the platform's own name for it (another job of this agent
    may have loaded and named it meanwhile), any volume, labels other than the config's."""
    attrs = engine.images.get(image_id).attrs
    config = attrs.get("Config") or {}
    own = submission_image_name(image_id)
    seen: dict[str, object] = {
        "tags": [tag for tag in attrs.get("RepoTags") or [] if tag != own],
        "volumes": config.get("Volumes") or {},
        "labels": config.get("Labels") or {},
    }
    wanted: dict[str, object] = {
        "tags": [],
        "volumes": {},
        "labels": expected.config.get("Labels") or {},
    }
    differs = [key for key in seen if seen[key] != wanted[key]]
    if not differs:
        return None
    return ImageIntakeError(
        "engine_mismatch",
        f"the engine read {', '.join(f'{k} {seen[k]!r}' for k in differs)} from the tarball, "
        f"where the checks read {', '.join(f'{k} {wanted[k]!r}' for k in differs)}",
    )


def image_load_checked(
    engine: docker.DockerClient,
    *,
    path: Path,
    image_id: str,
    limits: ImageLimits | None = None,
) -> None:
    """Load the tarball at `path` as image `image_id`, untagged by whoever wrote it and named
    by the platform (`forgerybench-submission:<hex>`); ImageIntakeError when it is not
    exactly that image."""
    inspected = image_tarball_check(path=path, image_id=image_id)
    before = _image_ids(engine)
    errors: list[BaseException] = []
    stream = untagged_stream(path, errors, inspected=inspected, limits=limits)
    loaded: list[str] = []
    try:
        try:
            images = engine.images.load(stream)
        except (docker.errors.APIError, docker.errors.ImageLoadError) as exc:
            stream.close()  # the copy has ended: what stopped it is in `errors`
            refused = next((e for e in errors if isinstance(e, ImageIntakeError)), None)
            if refused is not None:
                raise refused from None
            detail = getattr(exc, "explanation", None) or str(exc)
            raise not_an_image(detail) from None
        finally:
            stream.close()  # an engine that stopped reading: the writer thread ends too
        loaded = [image.id for image in images if image.id]
        if errors:
            if isinstance(errors[0], ImageIntakeError):
                raise errors[0]
            raise not_an_image(str(errors[0]))
        if loaded != [image_id]:
            raise ImageIntakeError(
                "image_mismatch",
                f"the engine loaded {loaded}, not the one image {image_id} the job names",
            )
        problem = engine_image_problem(engine, image_id, inspected)
        if problem is not None:
            raise problem
    except ImageIntakeError:
        # Nothing of a refused tarball stays (unless the engine held it before this load).
        for added in (set(loaded) | {image_id}) - before:
            image_remove(engine, added)
        raise
    images[0].tag(SUBMISSION_REPOSITORY, tag=image_id.removeprefix("sha256:"))

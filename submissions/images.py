"""Loading submitted images into the Docker engine and checking they can run."""

import functools
from pathlib import Path

import docker
import docker.errors
from docker.models.images import Image


class ImageIntakeError(ValueError):
    """The submitted file or reference is not a runnable image; the message says why."""


@functools.cache
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        raise RuntimeError(f"no Docker engine answers ({exc}); start dockerd") from exc
    return client


def _check_runnable(image: Image) -> None:
    config = image.attrs.get("Config") or {}
    if not (config.get("Entrypoint") or config.get("Cmd")):
        raise ImageIntakeError(
            "the image has neither ENTRYPOINT nor CMD: the platform would not know what to run"
        )


def image_load_tarball(*, path: Path) -> Image:
    """Load a `docker save` tarball; exactly one image must come out of it."""
    client = docker_client()
    try:
        with path.open("rb") as handle:
            images = client.images.load(handle)
    except (docker.errors.APIError, docker.errors.ImageLoadError) as exc:
        detail = getattr(exc, "explanation", None) or str(exc)
        raise ImageIntakeError(
            f"the file is not a loadable `docker save` image tarball ({detail})"
        ) from None
    if len(images) != 1:
        raise ImageIntakeError(
            f"the tarball holds {len(images)} images; submit exactly one "
            "(`docker save IMAGE -o image.tar`)"
        )
    _check_runnable(images[0])
    return images[0]


def image_resolve(*, reference: str) -> Image:
    """Find an image already in the engine by id or tag (baselines, organizer imports)."""
    try:
        image = docker_client().images.get(reference)
    except docker.errors.ImageNotFound:
        raise ImageIntakeError(f"no image {reference!r} in the engine") from None
    _check_runnable(image)
    return image

"""Images submitted by reference (`forgerybench/baseline-sanity:latest`, an image ID): the
operator's path, never a request's.

Only operator processes call this (management commands such as `demo_setup`, benchmarks):
they run where a Docker engine answers, as the person who built the images. The web process
and the score worker hold no engine socket and never import this module: a team's image only
arrives as an uploaded tarball (submissions.images).

The reference is resolved to its image ID in the operator's engine, its config checked like an
upload's, and (unless FORGERYBENCH_STORE_REFERENCED_IMAGES is off, for one host whose agents
share the operator's engine) its `docker save` copy, saved by ID so it carries no tag, goes
through the same checks into the image store, so a remote agent can fetch it like any upload.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

import docker
import docker.errors
from django.conf import settings

from evaluator.image_tarball import (
    ImageIntakeError,
    config_problem,
    image_store_stage,
    stored_copy_valid,
)

from .images import image_limits, image_store_dir


@functools.cache
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except docker.errors.DockerException as exc:
        raise RuntimeError(
            f"no Docker engine answers ({exc}): submitting an image by reference needs the "
            "engine that holds it (run this where the image was built, or upload a tarball)"
        ) from exc
    return client


def image_store_from_engine(*, image_id: str) -> bool:
    """Save image `image_id` from the operator's engine into the store (checked like an
    upload); False when the store already held a valid copy."""
    store = image_store_dir()
    if stored_copy_valid(store, image_id):
        return False
    store.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=store, prefix=".saved-", suffix=".tar")
    saved = Path(name)
    try:
        with os.fdopen(fd, "wb") as sink:
            for chunk in docker_client().images.get(image_id).save(named=False):
                sink.write(chunk)
        with image_store_stage(path=saved, store_dir=store, limits=image_limits()) as staged:
            if staged.image_id != image_id:
                raise ImageIntakeError(
                    "image_mismatch", f"the engine saved {staged.image_id}, not {image_id}"
                )
            return staged.publish()
    finally:
        with contextlib.suppress(FileNotFoundError):
            saved.unlink()


def image_resolve(*, reference: str) -> str:
    """The image ID of `reference` in the operator's engine, its config checked; its copy is
    put in the store when FORGERYBENCH_STORE_REFERENCED_IMAGES is on."""
    try:
        image = docker_client().images.get(reference)
    except docker.errors.ImageNotFound:
        raise ImageIntakeError("image_missing", f"no image {reference!r} in the engine") from None
    problem = config_problem(image.attrs.get("Config") or {})
    if problem is not None:
        raise problem
    image_id = image.id or ""
    if settings.FORGERYBENCH_STORE_REFERENCED_IMAGES:
        image_store_from_engine(image_id=image_id)
    return image_id

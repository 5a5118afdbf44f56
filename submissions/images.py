"""Submitted images: checked without an engine, kept in the platform's image store.

The platform's Django processes hold no Docker socket. An uploaded `docker save` tarball is
read *before* anything else happens (evaluator.image_tarball: one image, a config the runner
can neutralise, member names that stay inside the tarball, every layer hashing to the diff ID
the config pins), and its untagged copy is written into the image store
(FORGERYBENCH_IMAGE_STORE_DIR) as `<hex of the image id>.tar`, atomically. The submission
refers to the image by that ID; run agents fetch the copy by the job's ID over the agent API,
check it again and load it into their own engine. No upload reaches an engine with a tag, so
none can add, move or remove one, least of all a platform image's.

Images submitted *by reference* (organizer baselines, `demo_setup`, benchmarks) are resolved
in the operator's process, which does hold an engine: see :mod:`submissions.engine_images`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from evaluator.image_tarball import (
    SUBMISSION_REPOSITORY,
    ImageIntakeError,
    ImageLimits,
    StagedImage,
    TarballImage,
    config_problem,
    image_id_valid,
    image_store_stage,
    image_tarball_inspect,
    store_path,
    stored_copy_valid,
    submission_image_name,
)

__all__ = [
    "SUBMISSION_REPOSITORY",
    "ImageIntakeError",
    "StagedImage",
    "TarballImage",
    "config_problem",
    "image_limits",
    "image_store_dir",
    "image_stored",
    "image_tarball_inspect",
    "image_tarball_stage",
    "image_unstore",
    "submission_image_name",
]


def image_store_dir() -> Path:
    return Path(settings.FORGERYBENCH_IMAGE_STORE_DIR)


def image_limits() -> ImageLimits:
    """The size limits of one image (settings FORGERYBENCH_IMAGE_MAX_*)."""
    return ImageLimits(
        max_bytes=settings.FORGERYBENCH_IMAGE_MAX_BYTES,
        max_unpacked_bytes=settings.FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES,
        max_expansion=settings.FORGERYBENCH_IMAGE_MAX_EXPANSION,
    )


@contextmanager
def image_tarball_stage(*, path: Path) -> Iterator[StagedImage]:
    """Check an uploaded tarball and stage its untagged copy in the store, within the size
    limits; the caller publishes it once the submission is accepted. Nothing unpublished
    stays, not even the part of a copy a limit stopped."""
    with image_store_stage(path=path, store_dir=image_store_dir(), limits=image_limits()) as staged:
        yield staged


def image_stored(*, image_id: str) -> Path | None:
    """The store's copy of `image_id`, when it has one whose config still hashes to it."""
    if not image_id_valid(image_id) or not stored_copy_valid(image_store_dir(), image_id):
        return None
    return store_path(image_store_dir(), image_id)


def image_unstore(*, image_id: str) -> None:
    """Remove the store's copy of an image (one no submission refers to)."""
    if image_id_valid(image_id):
        store_path(image_store_dir(), image_id).unlink(missing_ok=True)

"""Reads for run jobs."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from .models import RunJob


def image_tarball_for(*, image_id: str) -> Path | None:
    """The platform's stored `docker save` copy of an image, by its digest, if it keeps one."""
    digest = image_id.removeprefix("sha256:")
    if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
        return None
    path = Path(settings.FORGERYBENCH_IMAGE_STORE_DIR) / f"{digest}.tar"
    return path if path.is_file() else None


def runjobs_open_for(*, submission_id: int, kind: str) -> list[RunJob]:
    return list(
        RunJob.objects.filter(
            submission_id=submission_id, kind=kind, state__in=["queued", "running"]
        ).order_by("pk")
    )

"""Facts about the machine that ran a container, for the provenance record (Django-free: the
run agent reports them with each outcome)."""

from __future__ import annotations

import functools
import subprocess
from typing import Any

import docker
import docker.errors


def gpu_info() -> tuple[str, str]:
    """(model, driver) of this host's first GPU, or empty strings when nvidia-smi is absent."""
    try:
        done = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "", ""
    first = done.stdout.strip().splitlines()[:1]
    if done.returncode != 0 or not first or "," not in first[0]:
        return "", ""
    model, driver = (part.strip() for part in first[0].split(",", 1))
    return model, driver


@functools.cache
def _engine_host(client: Any) -> str:
    return str(client.info().get("Name", ""))


def engine_facts(client: docker.DockerClient, image_id: str) -> tuple[str, str]:
    """(image digest, engine host). A registry digest when the image has one, else the
    content-addressed image id itself once the engine confirms it holds that image."""
    try:
        image = client.images.get(image_id)
        host = _engine_host(client)
    except docker.errors.DockerException:
        return "", ""
    repo_digests = image.attrs.get("RepoDigests") or []
    digest = repo_digests[0] if repo_digests else (image.id if image.id == image_id else "")
    return str(digest or ""), host

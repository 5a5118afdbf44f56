"""Loading submitted images into the Docker engine and checking they can run.

A team's tarball is read *before* anything reaches the engine: its `manifest.json` must name
exactly one image, and that image's config must hold nothing the runner's flags cannot
neutralise (a declared VOLUME gets a writable, executable, uncapped volume whatever the run
flags say; a label in the platform's own namespace would speak for the platform). Then the
tarball is streamed to `docker load` with every tag it carries removed (`RepoTags` in
`manifest.json`, the legacy `repositories` file, OCI name annotations), so no upload can add,
move or remove a tag — least of all one of the platform's own images. The platform refers to
the loaded image by its ID, under a name it chooses (`SUBMISSION_REPOSITORY:<image id>`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import tarfile
import threading
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
from docker.models.images import Image

# The name the platform gives every submitted image; its tag is the image ID's hex.
SUBMISSION_REPOSITORY = "forgerybench-submission"
# Labels the platform sets on containers it starts; an image may not carry them.
RESERVED_LABEL_PREFIX = "org.forgerybench."
# manifest.json, index.json and an image config are small; a bigger one is not an image.
MAX_METADATA_BYTES = 8 * 1024 * 1024
STREAM_BLOCK = 1024 * 1024
# What carries names in a `docker save` tarball (legacy and OCI layouts).
LEGACY_TAGS_FILE = "repositories"
NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")


class ImageIntakeError(ValueError):
    """The submitted file or reference is not a runnable image; `code` names why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class TarballImage:
    """What a tarball holds, read from its manifest and config before any load."""

    image_id: str  # sha256:<hex> of the config: the ID the engine will give the image
    config: dict[str, Any]
    declared_tags: list[str] = field(default_factory=list)  # discarded, kept for the message


@functools.cache
def docker_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except docker.errors.DockerException as exc:
        raise RuntimeError(f"no Docker engine answers ({exc}); start dockerd") from exc
    return client


def config_problem(config: dict[str, Any]) -> ImageIntakeError | None:
    """Why an image config cannot be run under the platform's flags (None: it can)."""
    volumes = sorted(config.get("Volumes") or {})
    if volumes:
        return ImageIntakeError(
            "declared_volume",
            f"the image declares VOLUME {', '.join(volumes)}: the engine would give each run a "
            "writable volume outside the size cap and the read-only root; remove the VOLUME "
            "lines and write only to /output (or /tmp)",
        )
    reserved = sorted(
        k for k in (config.get("Labels") or {}) if k.startswith(RESERVED_LABEL_PREFIX)
    )
    if reserved:
        return ImageIntakeError(
            "reserved_label",
            f"the image carries the platform's own labels ({', '.join(reserved)}); remove them",
        )
    if not (config.get("Entrypoint") or config.get("Cmd")):
        return ImageIntakeError(
            "no_entrypoint",
            "the image has neither ENTRYPOINT nor CMD: the platform would not know what to run",
        )
    return None


def _not_an_image(detail: str) -> ImageIntakeError:
    return ImageIntakeError(
        "not_an_image",
        f"the file is not a loadable `docker save` image tarball ({detail}); "
        "make it with `docker save IMAGE -o image.tar`",
    )


def _read_member(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> bytes:
    member = members.get(name)
    if member is None or not member.isreg():
        raise _not_an_image(f"{name} is missing")
    if member.size > MAX_METADATA_BYTES:
        raise _not_an_image(f"{name} is {member.size:,} bytes")
    handle = tar.extractfile(member)
    if handle is None:
        raise _not_an_image(f"{name} cannot be read")
    return handle.read()


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise _not_an_image(f"{name} is not JSON") from None


def image_tarball_inspect(*, path: Path) -> TarballImage:
    """Read the tarball's manifest and image config; refuse what cannot be run safely."""
    try:
        with tarfile.open(path, mode="r:*") as tar:
            members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
            manifest = _json(_read_member(tar, members, "manifest.json"), "manifest.json")
            if not isinstance(manifest, list) or len(manifest) != 1:
                count = len(manifest) if isinstance(manifest, list) else "no list of"
                raise ImageIntakeError(
                    "image_count",
                    f"the tarball holds {count} images; submit exactly one "
                    "(`docker save IMAGE -o image.tar`)",
                )
            entry = manifest[0]
            if not isinstance(entry, dict) or not isinstance(entry.get("Config"), str):
                raise _not_an_image("manifest.json names no image config")
            raw_config = _read_member(tar, members, entry["Config"].removeprefix("./"))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise _not_an_image(str(exc)) from None
    document = _json(raw_config, "the image config")
    config = document.get("config") if isinstance(document, dict) else None
    problem = config_problem(config if isinstance(config, dict) else {})
    if problem is not None:
        raise problem
    tags = entry.get("RepoTags") or []
    return TarballImage(
        image_id=f"sha256:{hashlib.sha256(raw_config).hexdigest()}",
        config=config if isinstance(config, dict) else {},
        declared_tags=[t for t in tags if isinstance(t, str)],
    )


def _untagged(data: bytes, name: str) -> bytes:
    """manifest.json / index.json with every name the engine would apply removed."""
    document = json.loads(data)
    if name == "manifest.json":
        for entry in document:
            entry["RepoTags"] = None
    else:  # index.json (OCI layout)
        for descriptor in document.get("manifests") or []:
            annotations = descriptor.get("annotations") or {}
            for key in NAME_ANNOTATIONS:
                annotations.pop(key, None)
    return json.dumps(document).encode()


def _copy_untagged(source: Path, sink: io.BufferedWriter) -> None:
    """Write the tarball to `sink` as an uncompressed tar carrying no image name."""
    with (
        sink,
        tarfile.open(source, mode="r|*") as tar_in,
        tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar_out,
    ):
        for member in tar_in:
            name = member.name.removeprefix("./")
            if name == LEGACY_TAGS_FILE:
                continue
            if name in ("manifest.json", "index.json") and member.isreg():
                handle = tar_in.extractfile(member)
                data = _untagged(handle.read() if handle else b"", name)
                member.size = len(data)
                tar_out.addfile(member, io.BytesIO(data))
            elif member.isreg():
                tar_out.addfile(member, tar_in.extractfile(member))
            else:
                tar_out.addfile(member)


def _untagged_stream(source: Path, errors: list[BaseException]) -> Generator[bytes, None, None]:
    """The tarball without names, as chunks for the engine (constant memory, no copy on disk)."""
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, "wb", buffering=STREAM_BLOCK)

    def produce() -> None:
        try:
            _copy_untagged(source, sink)  # type: ignore[arg-type]
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=produce, daemon=True)
    writer.start()
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while block := pipe.read(STREAM_BLOCK):
            yield block
    writer.join()


def _image_ids(client: docker.DockerClient) -> set[str]:
    return {image.id for image in client.images.list(all=True) if image.id}


def image_remove(*, image_id: str) -> None:
    """Remove an image intake added (with the platform's name for it), layers included."""
    client = docker_client()
    with contextlib.suppress(docker.errors.ImageNotFound):
        client.images.remove(image_id, force=True, noprune=False)


def image_load_tarball_tracked(*, path: Path) -> tuple[Image, bool]:
    """Inspect, then load, a `docker save` tarball; exactly one image comes out, untagged by
    the team and named by the platform. The flag says whether the load added the image (False:
    the engine already held it). A refusal after the load removes every image it added."""
    inspected = image_tarball_inspect(path=path)
    client = docker_client()
    before = _image_ids(client)
    errors: list[BaseException] = []
    stream = _untagged_stream(path, errors)
    loaded: list[str] = []
    try:
        try:
            images = client.images.load(stream)
        except (docker.errors.APIError, docker.errors.ImageLoadError) as exc:
            detail = getattr(exc, "explanation", None) or str(exc)
            raise _not_an_image(detail) from None
        finally:
            stream.close()  # an engine that stopped reading: the writer thread ends too
        loaded = [image.id for image in images if image.id]
        if errors:
            raise _not_an_image(str(errors[0]))
        if loaded != [inspected.image_id]:
            raise ImageIntakeError(
                "image_mismatch",
                f"the engine loaded {loaded}, not the one image "
                f"{inspected.image_id} the manifest names",
            )
    except ImageIntakeError:
        # What the engine reported and what the manifest names, unless the engine held it
        # before this load: nothing of a refused upload stays.
        for image_id in (set(loaded) | {inspected.image_id}) - before:
            image_remove(image_id=image_id)
        raise
    image = images[0]
    image.tag(SUBMISSION_REPOSITORY, tag=inspected.image_id.removeprefix("sha256:"))
    image.reload()
    return image, inspected.image_id not in before


def image_load_tarball(*, path: Path) -> Image:
    """:func:`image_load_tarball_tracked` without the flag."""
    return image_load_tarball_tracked(path=path)[0]


def submission_image_name(image_id: str) -> str:
    return f"{SUBMISSION_REPOSITORY}:{image_id.removeprefix('sha256:')}"


def image_resolve(*, reference: str) -> Image:
    """Find an image already in the engine by id or tag (baselines, organizer imports)."""
    try:
        image = docker_client().images.get(reference)
    except docker.errors.ImageNotFound:
        raise ImageIntakeError("image_missing", f"no image {reference!r} in the engine") from None
    problem = config_problem(image.attrs.get("Config") or {})
    if problem is not None:
        raise problem
    return image

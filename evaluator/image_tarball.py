"""`docker save` tarballs read, checked and rewritten without a Docker engine.

Both sides of the run zone use this module: the platform's image intake (which holds no engine
socket) and the run agent (which trusts the platform no more than the team). It imports no
Django and no Docker SDK.

What a tarball must be to pass:

* `manifest.json` names exactly one image; its config is a regular member, no bigger than
  `MAX_METADATA_BYTES`, and (when its name carries one, as `docker save` writes it) named by
  its own SHA-256. The image ID is the SHA-256 of the config's bytes, as the engine computes it.
* The config holds nothing the runner's flags cannot neutralise (:func:`config_problem`).
* No member name is absolute, climbs out with `..`, or appears twice (a later twin is what an
  engine would extract, while a reader sees the first).
* Each layer the manifest lists hashes to the `rootfs.diff_ids` entry the config pins for it,
  so the config digest (the image ID) pins every byte of the image. Checked while copying.

:func:`image_store_stage` writes the tarball, with every name an engine would apply removed
(`RepoTags`, the legacy `repositories` file, OCI name annotations), into an image store folder
as `<hex of the image id>.tar`: a temporary file created with O_EXCL, checked again after it is
written, then renamed into place when the caller publishes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import posixpath
import tarfile
import tempfile
import threading
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

# The name the platform gives every submitted image in an engine; its tag is the image ID's hex.
SUBMISSION_REPOSITORY = "forgerybench-submission"
# Labels the platform sets on containers it starts; an image may not carry them.
RESERVED_LABEL_PREFIX = "org.forgerybench."
# manifest.json, index.json and an image config are small; a bigger one is not an image.
MAX_METADATA_BYTES = 8 * 1024 * 1024
STREAM_BLOCK = 1024 * 1024
# What carries names in a `docker save` tarball (legacy and OCI layouts).
LEGACY_TAGS_FILE = "repositories"
NAME_ANNOTATIONS = ("io.containerd.image.name", "org.opencontainers.image.ref.name")
HEX = frozenset("0123456789abcdef")


class ImageIntakeError(ValueError):
    """The tarball or reference is not a runnable image; `code` names why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class TarballImage:
    """What a tarball holds, read from its manifest and config before any load."""

    image_id: str  # sha256:<hex> of the config: the ID the engine will give the image
    config: dict[str, Any]
    declared_tags: list[str] = field(default_factory=list)  # discarded, kept for the message
    layers: tuple[str, ...] = ()  # member names of the layers, in order
    diff_ids: tuple[str, ...] = ()  # what each layer's bytes hash to (sha256:<hex>)


def image_id_valid(image_id: str) -> bool:
    digest = image_id.removeprefix("sha256:")
    return image_id.startswith("sha256:") and len(digest) == 64 and set(digest) <= HEX


def submission_image_name(image_id: str) -> str:
    """The platform's name for a submitted image in an engine."""
    return f"{SUBMISSION_REPOSITORY}:{image_id.removeprefix('sha256:')}"


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


def not_an_image(detail: str) -> ImageIntakeError:
    return ImageIntakeError(
        "not_an_image",
        f"the file is not a loadable `docker save` image tarball ({detail}); "
        "make it with `docker save IMAGE -o image.tar`",
    )


def _member_name(member: tarfile.TarInfo) -> str:
    """The member's name as an engine would place it; refuses names that leave the tarball."""
    name = member.name
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if name.startswith("/") or ".." in parts or not parts:
        raise ImageIntakeError(
            "bad_member_name",
            f"the tarball has a member named {name!r}: `docker save` writes only plain relative "
            "names, and an engine could place this one over another member",
        )
    return "/".join(parts)


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    found: dict[str, tarfile.TarInfo] = {}
    for member in tar.getmembers():
        name = _member_name(member)
        if name in found and not (member.isdir() and found[name].isdir()):
            raise ImageIntakeError(
                "bad_member_name",
                f"the tarball holds {name!r} twice: a reader and an engine could take "
                "different ones",
            )
        found[name] = member
    return found


def _read_member(tar: tarfile.TarFile, members: dict[str, tarfile.TarInfo], name: str) -> bytes:
    member = members.get(name)
    if member is None or not member.isreg():
        raise not_an_image(f"{name} is missing")
    if member.size > MAX_METADATA_BYTES:
        raise not_an_image(f"{name} is {member.size:,} bytes")
    handle = tar.extractfile(member)
    if handle is None:
        raise not_an_image(f"{name} cannot be read")
    return handle.read()


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise not_an_image(f"{name} is not JSON") from None


def _named_digest(config_name: str) -> str | None:
    """The digest a config member's name claims (`<hex>.json`, `blobs/sha256/<hex>`), if any."""
    base = posixpath.basename(config_name).removesuffix(".json")
    return base if len(base) == 64 and set(base) <= HEX else None


def image_tarball_inspect(*, path: Path) -> TarballImage:
    """Read the tarball's manifest and image config; refuse what cannot be run safely."""
    try:
        with tarfile.open(path, mode="r:*") as tar:
            members = _members(tar)
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
                raise not_an_image("manifest.json names no image config")
            config_name = entry["Config"].removeprefix("./")
            raw_config = _read_member(tar, members, config_name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise not_an_image(str(exc)) from None
    digest = hashlib.sha256(raw_config).hexdigest()
    claimed = _named_digest(config_name)
    if claimed is not None and claimed != digest:
        raise ImageIntakeError(
            "image_mismatch",
            f"the image config {config_name} hashes to sha256:{digest}, not the digest its "
            "name carries",
        )
    document = _json(raw_config, "the image config")
    config = document.get("config") if isinstance(document, dict) else None
    problem = config_problem(config if isinstance(config, dict) else {})
    if problem is not None:
        raise problem
    rootfs = document.get("rootfs") if isinstance(document, dict) else None
    diff_ids = rootfs.get("diff_ids") if isinstance(rootfs, dict) else None
    layers = entry.get("Layers")
    if (
        not isinstance(layers, list)
        or not isinstance(diff_ids, list)
        or len(layers) != len(diff_ids)
        or not all(isinstance(x, str) for x in [*layers, *diff_ids])
    ):
        raise not_an_image("the manifest's layers and the config's rootfs do not pair up")
    tags = entry.get("RepoTags") or []
    return TarballImage(
        image_id=f"sha256:{digest}",
        config=config if isinstance(config, dict) else {},
        declared_tags=[t for t in tags if isinstance(t, str)],
        layers=tuple(layer.removeprefix("./") for layer in layers),
        diff_ids=tuple(diff_ids),
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


class _HashingReader(io.RawIOBase):
    """A member's bytes as tarfile copies them, hashed on the way."""

    def __init__(self, handle: IO[bytes]):
        self.handle = handle
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


@dataclass
class CopyReport:
    """What the copy saw: each regular member's SHA-256, and where each link points."""

    sha256: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)

    def resolve(self, name: str) -> str | None:
        """The SHA-256 of the regular member `name` is, or links to (None: no such member)."""
        for _ in range(8):
            if name in self.sha256:
                return self.sha256[name]
            if name not in self.links:
                return None
            name = self.links[name]
        return None


def copy_untagged(source: Path, sink: IO[bytes]) -> CopyReport:
    """Write the tarball to `sink` as an uncompressed tar carrying no image name; return what
    each member hashed to (for the layer check)."""
    report = CopyReport()
    with (
        tarfile.open(source, mode="r|*") as tar_in,
        tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar_out,
    ):
        for member in tar_in:
            name = _member_name(member)
            if name == LEGACY_TAGS_FILE:
                continue
            if name in ("manifest.json", "index.json") and member.isreg():
                handle = tar_in.extractfile(member)
                data = _untagged(handle.read() if handle else b"", name)
                member.size = len(data)
                tar_out.addfile(member, io.BytesIO(data))
            elif member.isreg():
                handle = tar_in.extractfile(member)
                reader = _HashingReader(handle) if handle else None
                tar_out.addfile(member, reader)
                report.sha256[name] = reader.sha256.hexdigest() if reader else ""
            else:
                if member.issym():
                    target = posixpath.normpath(
                        posixpath.join(posixpath.dirname(name), member.linkname)
                    )
                    report.links[name] = target
                elif member.islnk():
                    report.links[name] = member.linkname.removeprefix("./")
                tar_out.addfile(member)
    return report


def layers_problem(inspected: TarballImage, report: CopyReport) -> ImageIntakeError | None:
    """Why the layers the copy saw are not the ones the config pins (None: they are)."""
    for number, (layer, diff_id) in enumerate(
        zip(inspected.layers, inspected.diff_ids, strict=True), start=1
    ):
        actual = report.resolve(layer)
        if actual is None:
            return not_an_image(f"layer {number} ({layer}) is missing")
        if f"sha256:{actual}" != diff_id:
            return ImageIntakeError(
                "layer_mismatch",
                f"layer {number} ({layer}) hashes to sha256:{actual}, not the {diff_id} the "
                "image config pins (`docker save` writes uncompressed layers)",
            )
    return None


def untagged_stream(source: Path, errors: list[BaseException]) -> Generator[bytes, None, None]:
    """The tarball without names, as chunks for an engine (constant memory, no copy on disk).
    A failure of the copy lands in `errors`."""
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, "wb", buffering=STREAM_BLOCK)

    def produce() -> None:
        try:
            with sink:
                copy_untagged(source, sink)
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=produce, daemon=True)
    writer.start()
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while block := pipe.read(STREAM_BLOCK):
            yield block
    writer.join()


def store_path(store_dir: Path, image_id: str) -> Path:
    return store_dir / f"{image_id.removeprefix('sha256:')}.tar"


def image_tarball_check(*, path: Path, image_id: str) -> TarballImage:
    """Inspect a tarball that should hold exactly image `image_id`; refuse any other."""
    inspected = image_tarball_inspect(path=path)
    if inspected.image_id != image_id:
        raise ImageIntakeError(
            "image_mismatch",
            f"the tarball holds image {inspected.image_id}, not {image_id}",
        )
    return inspected


def stored_copy_valid(store_dir: Path, image_id: str) -> bool:
    """True when the store holds a copy of `image_id` whose config still hashes to it."""
    path = store_path(store_dir, image_id)
    if not path.is_file():
        return False
    try:
        image_tarball_check(path=path, image_id=image_id)
    except ImageIntakeError:
        return False
    return True


@dataclass
class StagedImage:
    """A checked, untagged copy of an image waiting in the store folder under a temporary
    name; :meth:`publish` renames it into place (or keeps the valid copy already there)."""

    image: TarballImage
    target: Path
    temporary: Path | None  # None: the store already held a valid copy
    published: bool = False

    @property
    def image_id(self) -> str:
        return self.image.image_id

    def publish(self) -> bool:
        """Put the copy in place; True when this call added it (False: it was there)."""
        if self.temporary is None:
            self.published = True
            return False
        os.replace(self.temporary, self.target)
        self.temporary, self.published = None, True
        return True

    def discard(self) -> None:
        if self.temporary is not None:
            self.temporary.unlink(missing_ok=True)
            self.temporary = None


@contextlib.contextmanager
def image_store_stage(*, path: Path, store_dir: Path) -> Iterator[StagedImage]:
    """Check the tarball at `path` and stage its untagged copy in `store_dir`; whatever is not
    published when the block ends is removed (a refusal leaves nothing in the store)."""
    inspected = image_tarball_inspect(path=path)
    store_dir.mkdir(parents=True, exist_ok=True)
    target = store_path(store_dir, inspected.image_id)
    staged = StagedImage(image=inspected, target=target, temporary=None)
    try:
        if not stored_copy_valid(store_dir, inspected.image_id):
            # mkstemp opens with O_CREAT | O_EXCL: never another writer's file.
            fd, name = tempfile.mkstemp(dir=store_dir, prefix=".incoming-", suffix=".tar")
            staged.temporary = Path(name)
            with os.fdopen(fd, "wb", buffering=STREAM_BLOCK) as sink:
                try:
                    report = copy_untagged(path, sink)
                except (tarfile.TarError, EOFError, ValueError) as exc:
                    if isinstance(exc, ImageIntakeError):
                        raise
                    raise not_an_image(str(exc)) from None
                sink.flush()
                os.fsync(sink.fileno())
            problem = layers_problem(inspected, report)
            if problem is not None:
                raise problem
            # What was written is what was inspected: its config still hashes to the image ID.
            image_tarball_check(path=staged.temporary, image_id=inspected.image_id)
        yield staged
    finally:
        staged.discard()

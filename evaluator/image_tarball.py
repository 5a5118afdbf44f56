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
from collections.abc import Callable, Generator, Iterator
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
TAR_MAGIC_OFFSET = 257
# Defaults of the size limits (settings FORGERYBENCH_IMAGE_MAX_BYTES,
# FORGERYBENCH_IMAGE_MAX_UNPACKED_BYTES, FORGERYBENCH_IMAGE_MAX_EXPANSION).
DEFAULT_MAX_IMAGE_BYTES = 16 * 1024**3
DEFAULT_MAX_UNPACKED_BYTES = 16 * 1024**3
DEFAULT_MAX_EXPANSION = 20
# A compressed upload may always expand to this much, whatever its ratio.
EXPANSION_FLOOR = 256 * 1024**2
# Tar member types that carry no data (the engine's reader skips whatever size they claim).
HEADER_ONLY_TYPES = frozenset(
    {tarfile.LNKTYPE, tarfile.SYMTYPE, tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.DIRTYPE,
     tarfile.FIFOTYPE}
)  # fmt: skip
# Headers whose body describes the next member (pax records, GNU long names).
SPECIAL_TYPES = frozenset(
    {tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK}
)


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
    config_name: str = ""  # as manifest.json spells it
    layer_names: tuple[str, ...] = ()  # as manifest.json spells them
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


def _fold(key: str) -> str:
    """`key` as the engine's JSON decoder compares field names: case-insensitively, with
    the Unicode letters that fold onto ASCII (the long s U+017F, the Kelvin sign U+212A,
    the dotted capital I U+0130) taken as those letters."""
    folded = []
    for char in key:
        if not char.isascii():
            for candidate in (char.lower(), char.upper(), char.casefold()):
                if candidate[:1].isascii():
                    char = candidate[:1]
                    break
        folded.append(char.upper())
    return "".join(folded)


# The field names the engine decodes from manifest.json, index.json and an image config, by
# the object that holds them. The engine's decoder (Go's encoding/json) matches a key to a
# field case-insensitively, and the last of several matching keys wins; this module reads
# exact keys. So a key that differs from a field's name only in case is refused, as are two
# keys in one object that fold together (a reader and the engine could take different ones).
MANIFEST_FIELDS = frozenset({"Config", "RepoTags", "Layers", "Parent", "LayerSources"})
IMAGE_FIELDS = frozenset(
    {
        "id", "parent", "comment", "created", "container", "container_config",
        "docker_version", "author", "config", "architecture", "variant", "os", "os.version",
        "os.features", "size", "rootfs", "history",
    }
)  # fmt: skip
CONTAINER_CONFIG_FIELDS = frozenset(
    {
        "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
        "ExposedPorts", "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Healthcheck",
        "ArgsEscaped", "Image", "Volumes", "WorkingDir", "Entrypoint", "NetworkDisabled",
        "MacAddress", "OnBuild", "Labels", "StopSignal", "StopTimeout", "Shell",
    }
)  # fmt: skip
ROOTFS_FIELDS = frozenset({"type", "diff_ids", "base_layer"})
OCI_FIELDS = frozenset(
    {
        "schemaVersion", "mediaType", "artifactType", "manifests", "annotations", "digest",
        "size", "platform", "urls", "subject", "config", "layers", "data",
    }
)  # fmt: skip
KNOWN_FIELDS = MANIFEST_FIELDS | IMAGE_FIELDS | CONTAINER_CONFIG_FIELDS | ROOTFS_FIELDS | OCI_FIELDS
_KNOWN_FOLDED = frozenset(_fold(name) for name in KNOWN_FIELDS)


def ambiguous_key(detail: str) -> ImageIntakeError:
    return ImageIntakeError(
        "ambiguous_key",
        f"{detail}: the engine matches JSON keys case-insensitively, so it could read a "
        "different value than the platform checked; write the image with `docker save`",
    )


def _strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object hook for every level: no key twice, no two spellings of a field name the
    engine knows, no case variant of one. (Keys of a map, such as label names, are matched
    exactly by the engine: `Maintainer` and `maintainer` are two labels.)"""
    seen: dict[str, str] = {}
    for key, _ in pairs:
        folded = _fold(key)
        if folded in seen and (seen[folded] == key or folded in _KNOWN_FOLDED):
            raise ambiguous_key(f"keys {seen[folded]!r} and {key!r} name one field")
        seen[folded] = key
        if folded in _KNOWN_FOLDED and key not in KNOWN_FIELDS:
            raise ambiguous_key(f"key {key!r} is a field name in another case")
    return dict(pairs)


def _exact_fields(document: Any, fields: frozenset[str], where: str) -> None:
    """Every key of `document` that names one of `fields` does so exactly."""
    if not isinstance(document, dict):
        return
    folded = {_fold(name): name for name in fields}
    for key in document:
        name = folded.get(_fold(key))
        if name is not None and name != key:
            raise ambiguous_key(f"{where} has {key!r} where the engine reads {name!r}")


def _json(data: bytes, name: str) -> Any:
    try:
        return json.loads(data, object_pairs_hook=_strict_object)
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, ImageIntakeError):
            raise
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
            _exact_fields(entry, MANIFEST_FIELDS, "manifest.json")
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
    _exact_fields(document, IMAGE_FIELDS, "the image config")
    config = document.get("config") if isinstance(document, dict) else None
    _exact_fields(config, CONTAINER_CONFIG_FIELDS, "the image config's config")
    if isinstance(document, dict):
        _exact_fields(document.get("container_config"), CONTAINER_CONFIG_FIELDS, "container_config")
    problem = config_problem(config if isinstance(config, dict) else {})
    if problem is not None:
        raise problem
    rootfs = document.get("rootfs") if isinstance(document, dict) else None
    _exact_fields(rootfs, ROOTFS_FIELDS, "the image config's rootfs")
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
        config_name=entry["Config"],
        layer_names=tuple(layers),
        declared_tags=[t for t in tags if isinstance(t, str)] if isinstance(tags, list) else [],
        layers=tuple(layer.removeprefix("./") for layer in layers),
        diff_ids=tuple(diff_ids),
    )


def _untagged(data: bytes, name: str, inspected: TarballImage | None) -> bytes:
    """manifest.json / index.json with every name the engine would apply removed. A manifest
    entry is rebuilt from the two fields a load needs, so no spelling of a tag survives."""
    document = _json(data, name)
    if name == "manifest.json":
        if inspected is not None:
            return json.dumps(
                [{"Config": inspected.config_name, "Layers": list(inspected.layer_names)}]
            ).encode()
        if not isinstance(document, list) or not all(isinstance(e, dict) for e in document):
            raise not_an_image("manifest.json is not a list of images")
        document = [{"Config": e.get("Config"), "Layers": e.get("Layers")} for e in document]
    elif isinstance(document, dict):  # index.json (OCI layout)
        _exact_fields(document, OCI_FIELDS, "index.json")
        for descriptor in [document, *(document.get("manifests") or [])]:
            if not isinstance(descriptor, dict):
                raise not_an_image("index.json lists something that is not a descriptor")
            _exact_fields(descriptor, OCI_FIELDS, "index.json")
            annotations = descriptor.get("annotations") or {}
            for key in NAME_ANNOTATIONS:
                annotations.pop(key, None)
    return json.dumps(document).encode()


@dataclass(frozen=True)
class ImageLimits:
    """How much an image may take: its uncompressed tarball (the store copy), the files its
    layers unpack to, and how far a compressed upload may expand."""

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
    max_expansion: int = DEFAULT_MAX_EXPANSION
    expansion_floor: int = EXPANSION_FLOOR  # a compressed upload may always expand this far

    def copy_budget(self, source: Path) -> int:
        """Bytes the uncompressed copy of `source` may take."""
        with source.open("rb") as handle:
            head = handle.read(TAR_MAGIC_OFFSET + 5)
        if head[TAR_MAGIC_OFFSET:] == b"ustar":
            return self.max_bytes
        expanded = max(self.max_expansion * source.stat().st_size, self.expansion_floor)
        return min(self.max_bytes, expanded)


def image_too_large(detail: str) -> ImageIntakeError:
    return ImageIntakeError(
        "image_too_large",
        f"{detail}; an image with more data than that cannot be run here (a compressed upload "
        "that expands far beyond its size: upload the uncompressed `docker save` tarball)",
    )


class _CappedSink(io.RawIOBase):
    """The copy's destination, refusing to take more than `budget` bytes."""

    def __init__(self, sink: IO[bytes], budget: int):
        self.sink = sink
        self.budget = budget
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.written += len(data)
        if self.written > self.budget:
            raise image_too_large(
                f"the uncompressed image passes {self.budget:,} bytes (the limit for this upload)"
            )
        return self.sink.write(data)


class _LayerWalk:
    """Reads a layer's tar headers as its bytes stream past (never a second pass): sums the
    sizes its files unpack to against `budget` and refuses sparse members, whose few stored
    bytes the engine would expand on disk. `ok` ends False when the bytes are not a tar the
    walk could follow to its end (then the member cannot be a layer the engine loads)."""

    def __init__(self, name: str, budget: _UnpackedBudget):
        self.name = name
        self.budget = budget
        self.buffer = bytearray()
        self.skip = 0  # data bytes of the current member still to pass
        self.special: tuple[bytes, int] | None = None  # (type, size) of a pax/long-name body
        self.next_size: int | None = None  # a pax `size` record for the next header
        self.state = "header"  # header | done | broken

    @property
    def ok(self) -> bool:
        return self.state == "done" or (
            self.state == "header" and not self.buffer and not self.skip
        )

    def feed(self, data: bytes) -> None:
        if self.state != "header":
            return
        view = memoryview(data)
        while view and self.state == "header":
            if self.skip:
                step = min(self.skip, len(view))
                self.skip -= step
                view = view[step:]
                continue
            want = 512 if self.special is None else _blocks(self.special[1])
            take = min(want - len(self.buffer), len(view))
            self.buffer += view[:take]
            view = view[take:]
            if len(self.buffer) < want:
                return
            block, self.buffer = bytes(self.buffer), bytearray()
            if self.special is None:
                self._header(block)
            else:
                kind, size = self.special
                self.special = None
                self._special(kind, block[:size])

    def _header(self, block: bytes) -> None:
        if block == bytes(512):  # the end of the archive: the engine reads nothing after it
            self.state = "done"
            return
        # Only what the walk needs (the checksum, the type, the size): a full TarInfo per
        # header costs more than hashing the layer.
        try:
            valid = _tar_number(block[148:156]) in _tar_checksums(block)
            kind, size = block[156:157], _tar_number(block[124:136])
        except tarfile.HeaderError:
            valid = False
        if not valid or size < 0:
            self.state = "broken"
            return
        if kind == tarfile.GNUTYPE_SPARSE:
            raise self._sparse()
        if kind in SPECIAL_TYPES:  # describes the next header: a pax `size` waits for it
            if size > MAX_METADATA_BYTES:
                self.state = "broken"
                return
            self.special = (kind, size)
            if size == 0:
                self.special = None
                self._special(kind, b"")
            return
        if self.next_size is not None:
            size, self.next_size = self.next_size, None
        if kind in HEADER_ONLY_TYPES:
            return
        self.budget.add(size, self.name)
        self.skip = _blocks(size)

    def _special(self, kind: bytes, body: bytes) -> None:
        if kind not in (tarfile.XHDTYPE, tarfile.XGLTYPE):
            return  # a long name or link: nothing that changes what is unpacked
        while body:
            length, _, _ = body.partition(b" ")
            if not length.isdigit() or int(length) < len(length) + 2:
                self.state = "broken"
                return
            record, body = body[: int(length)], body[int(length) :]
            key, _, value = record[len(length) + 1 : -1].partition(b"=")
            if key.startswith(b"GNU.sparse."):
                raise self._sparse()
            if key == b"size" and kind == tarfile.XHDTYPE:
                if not value.isdigit():
                    self.state = "broken"
                    return
                self.next_size = int(value)

    def _sparse(self) -> ImageIntakeError:
        return ImageIntakeError(
            "sparse_member",
            f"{self.name} holds a sparse file: the engine would write its holes out in full; "
            "rebuild the image without sparse files",
        )


# tarfile's own header field readers (octal or base-256 numbers; the unsigned and signed
# checksums, either of which a reader accepts), not in its typed interface.
_tar_number: Callable[[bytes], int] = tarfile.nti  # type: ignore[attr-defined]
_tar_checksums: Callable[[bytes], tuple[int, int]] = tarfile.calc_chksums  # type: ignore[attr-defined]


def _blocks(size: int) -> int:
    return -(-size // 512) * 512


class _UnpackedBudget:
    """What every layer unpacks to, together, against the image's limit."""

    def __init__(self, limit: int):
        self.limit = limit
        self.total = 0

    def add(self, size: int, name: str) -> None:
        self.total += size
        if self.total > self.limit:
            raise image_too_large(
                f"the image's layers unpack to more than {self.limit:,} bytes (at {name})"
            )


class _HashingReader(io.RawIOBase):
    """A member's bytes as tarfile copies them, hashed and walked on the way."""

    def __init__(self, handle: IO[bytes], walk: _LayerWalk | None):
        self.handle = handle
        self.sha256 = hashlib.sha256()
        self.walk = walk

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self.handle.read(-1 if size is None else size)
        if self.walk is not None:
            self.walk.feed(data)
        self.sha256.update(data)
        return data


@dataclass
class CopyReport:
    """What the copy saw: each regular member's SHA-256, where each link points, and which
    members are tar archives the walk followed to their end."""

    sha256: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    tars: set[str] = field(default_factory=set)
    unpacked_bytes: int = 0

    def target(self, name: str) -> str | None:
        """The regular member `name` is, or links to (None: no such member)."""
        for _ in range(8):
            if name in self.sha256:
                return name
            if name not in self.links:
                return None
            name = self.links[name]
        return None

    def resolve(self, name: str) -> str | None:
        """The SHA-256 of the regular member `name` is, or links to (None: no such member)."""
        target = self.target(name)
        return None if target is None else self.sha256[target]


def copy_untagged(
    source: Path,
    sink: IO[bytes],
    *,
    inspected: TarballImage | None = None,
    limits: ImageLimits | None = None,
) -> CopyReport:
    """Write the tarball to `sink` as an uncompressed tar carrying no image name; return what
    each member hashed to (for the layer check).

    Refused while streaming, before the bytes that would break a limit are written: a copy
    bigger than `limits` allows (`image_too_large`: a compression bomb stops at the budget),
    layers unpacking to more than the limit or holding a sparse file (`sparse_member`), and,
    given `inspected`, a layer whose bytes are not the diff ID its config pins
    (`layer_mismatch`, at the end of that layer)."""
    limits = limits or ImageLimits()
    report = CopyReport()
    budget = _UnpackedBudget(limits.max_unpacked_bytes)
    pinned = dict(zip(inspected.layers, inspected.diff_ids, strict=True)) if inspected else {}
    config_name = inspected.config_name.removeprefix("./") if inspected else None
    capped = _CappedSink(sink, limits.copy_budget(source))
    with (
        tarfile.open(source, mode="r|*") as tar_in,
        tarfile.open(fileobj=capped, mode="w|", format=tarfile.PAX_FORMAT) as tar_out,
    ):
        for member in tar_in:
            name = _member_name(member)
            if name == LEGACY_TAGS_FILE:
                continue
            if name in ("manifest.json", "index.json") and member.isreg():
                if member.size > MAX_METADATA_BYTES:
                    raise not_an_image(f"{name} is {member.size:,} bytes")
                handle = tar_in.extractfile(member)
                data = _untagged(handle.read() if handle else b"", name, inspected)
                member.size = len(data)
                tar_out.addfile(member, io.BytesIO(data))
            elif member.isreg():
                handle = tar_in.extractfile(member)
                walk = None if name == config_name else _LayerWalk(name, budget)
                reader = _HashingReader(handle, walk) if handle else None
                tar_out.addfile(member, reader)
                report.sha256[name] = reader.sha256.hexdigest() if reader else ""
                if walk is not None and walk.ok:
                    report.tars.add(name)
                if name in pinned and f"sha256:{report.sha256[name]}" != pinned[name]:
                    raise _layer_mismatch(name, report.sha256[name], pinned[name])
            else:
                if member.issym():
                    target = posixpath.normpath(
                        posixpath.join(posixpath.dirname(name), member.linkname)
                    )
                    report.links[name] = target
                elif member.islnk():
                    report.links[name] = member.linkname.removeprefix("./")
                tar_out.addfile(member)
    report.unpacked_bytes = budget.total
    return report


def _layer_mismatch(layer: str, actual: str, diff_id: str) -> ImageIntakeError:
    return ImageIntakeError(
        "layer_mismatch",
        f"layer {layer} hashes to sha256:{actual}, not the {diff_id} the image config pins "
        "(`docker save` writes uncompressed layers)",
    )


def layers_problem(inspected: TarballImage, report: CopyReport) -> ImageIntakeError | None:
    """Why the layers the copy saw are not the ones the config pins (None: they are)."""
    for number, (layer, diff_id) in enumerate(
        zip(inspected.layers, inspected.diff_ids, strict=True), start=1
    ):
        target = report.target(layer)
        if target is None:
            return not_an_image(f"layer {number} ({layer}) is missing")
        actual = report.sha256[target]
        if f"sha256:{actual}" != diff_id:
            return _layer_mismatch(f"{number} ({layer})", actual, diff_id)
        if target not in report.tars:
            return not_an_image(f"layer {number} ({layer}) is not a complete tar archive")
    return None


def untagged_stream(
    source: Path,
    errors: list[BaseException],
    *,
    inspected: TarballImage | None = None,
    limits: ImageLimits | None = None,
) -> Generator[bytes, None, None]:
    """The tarball without names, as chunks for an engine (constant memory, no copy on disk),
    under the same limits as a copy into the store. A failure of the copy lands in `errors`
    and ends the stream short of the bytes that broke the limit."""
    read_fd, write_fd = os.pipe()
    sink = os.fdopen(write_fd, "wb", buffering=STREAM_BLOCK)

    def produce() -> None:
        try:
            with sink:
                report = copy_untagged(source, sink, inspected=inspected, limits=limits)
                problem = None if inspected is None else layers_problem(inspected, report)
                if problem is not None:
                    raise problem
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=produce, daemon=True)
    writer.start()
    try:
        with os.fdopen(read_fd, "rb", buffering=0) as pipe:
            while block := pipe.read(STREAM_BLOCK):
                yield block
    finally:
        writer.join()  # a closed pipe ends the writer too; its failure is in `errors`


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
def image_store_stage(
    *, path: Path, store_dir: Path, limits: ImageLimits | None = None
) -> Iterator[StagedImage]:
    """Check the tarball at `path` and stage its untagged copy in `store_dir`; whatever is not
    published when the block ends is removed (a refusal leaves nothing in the store, not even
    the part of a copy written before a limit or a layer check stopped it)."""
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
                    report = copy_untagged(path, sink, inspected=inspected, limits=limits)
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

"""Crafted `docker save` tarballs for the image intake tests: layers with sparse members,
JSON rewritten by hand, compressed bombs."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def layer_tar(files: dict[str, bytes] | None = None, *, sparse: str = "") -> bytes:
    """A layer: `files`, plus a sparse member written the GNU way (`gnu`: type S) or the
    pax way (`pax`: GNU.sparse.* records, as GNU tar and Go write them)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (files or {"hello.txt": secrets.token_hex(16).encode()}).items():
            _add(tar, name, data)
        if sparse == "pax":
            info = tarfile.TarInfo("GNUSparseFile.0/big")
            info.pax_headers = {
                "GNU.sparse.major": "1",
                "GNU.sparse.minor": "0",
                "GNU.sparse.name": "big",
                "GNU.sparse.realsize": str(2 * 1024**3),
            }
            sparse_map = b"1\n2147483136\n512\n".ljust(512, b"\0")
            info.size = len(sparse_map) + 512
            tar.addfile(info, io.BytesIO(sparse_map + b"x" * 512))
        elif sparse == "gnu":
            info = tarfile.TarInfo("big")
            info.type = tarfile.GNUTYPE_SPARSE
            info.size = 512
            tar.addfile(info, io.BytesIO(b"x" * 512))
    return buffer.getvalue()


def write_image(
    path: Path,
    *,
    layers: list[bytes] | None = None,
    config: dict[str, Any] | None = None,
    document: Callable[[dict[str, Any]], str] | None = None,
    manifest: Callable[[dict[str, Any]], str] | None = None,
    diff_ids: list[str] | None = None,
    compress: Callable[[bytes], bytes] | None = None,
) -> str:
    """A `docker save` tarball; `document` and `manifest` may rewrite the JSON text of the
    image config and of the manifest entry. Returns the image ID."""
    layers = layers if layers is not None else [layer_tar()]
    hexes = [hashlib.sha256(layer).hexdigest() for layer in layers]
    body = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ["/hello"], "Volumes": None, "Labels": None, **(config or {})},
        "rootfs": {"type": "layers", "diff_ids": diff_ids or [f"sha256:{h}" for h in hexes]},
    }
    raw = (document(body) if document else json.dumps(body)).encode()
    image_hex = hashlib.sha256(raw).hexdigest()
    names = [f"{number}{h[:8]}/layer.tar" for number, h in enumerate(hexes)]
    entry = {"Config": f"{image_hex}.json", "RepoTags": None, "Layers": names}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, layer in zip(names, layers, strict=True):
            _add(tar, name, layer)
        _add(tar, f"{image_hex}.json", raw)
        _add(
            tar, "manifest.json", f"[{manifest(entry) if manifest else json.dumps(entry)}]".encode()
        )
    data = buffer.getvalue()
    path.write_bytes(compress(data) if compress else data)
    return f"sha256:{image_hex}"

"""evaluator.image_tarball against crafted tarballs (no engine, no database): JSON keys the
engine would read in another case, sparse and oversized layers, compression bombs, and a
layer that is not what the config pins, each refused while the copy streams."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import lzma
import secrets
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from evaluator.image_tarball import (
    ImageIntakeError,
    ImageLimits,
    copy_untagged,
    image_store_stage,
    image_tarball_inspect,
)
from tests.image_tarballs import layer_tar, write_image


def refusal(path: Path, store: Path, limits: ImageLimits | None = None) -> ImageIntakeError:
    """What intake says of `path`; asserts it leaves nothing in the store (no partial copy)."""
    with (
        pytest.raises(ImageIntakeError) as refused,
        image_store_stage(path=path, store_dir=store, limits=limits) as staged,
    ):
        staged.publish()
    assert not store.exists() or list(store.iterdir()) == []
    return refused.value


def _replace_key(old: str, new: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: json.dumps(body).replace(old, new, 1)


@pytest.mark.parametrize(
    ("where", "rewrite"),
    [
        # the red team's tarball: a second RepoTags the engine reads, last one wins
        ("manifest", lambda e: json.dumps(e)[:-1] + ', "repotags": ["victim:latest"]}'),
        ("manifest", lambda e: json.dumps(e).replace('"RepoTags": null', '"repoTags": ["v:1"]')),
        ("manifest", lambda e: json.dumps(e)[:-1] + ', "Layers": []}'),  # the same key twice
        ("config", _replace_key('"Volumes": null', '"volumes": {"/scratch": {}}')),
        ("config", _replace_key('"Labels": null', '"labels": {"org.forgerybench.job": "1"}')),
        # long s (U+017F) folds onto s in the engine's comparison
        ("config", _replace_key('"Labels": null', '"Label\\u017f": {"org.forgerybench.x": "1"}')),
        ("config", _replace_key('"Entrypoint"', '"ENTRYPOINT": ["/sh"], "Entrypoint"')),
        ("config", _replace_key('"rootfs"', '"Rootfs": {}, "rootfs"')),
        ("config", _replace_key('"config"', '"Config": {"Volumes": {"/x": {}}}, "config"')),
        ("config", _replace_key('"config"', '"Config"')),  # a manifest field at another level
        ("config", _replace_key('"diff_ids"', '"Diff_ids"')),
    ],
)
def test_a_key_the_engine_would_read_in_another_case_is_refused(
    tmp_path: Path, where: str, rewrite: Callable[[dict[str, Any]], str]
) -> None:
    path = tmp_path / "image.tar"
    if where == "manifest":
        write_image(path, manifest=rewrite)
    else:
        write_image(path, document=rewrite)
    assert refusal(path, tmp_path / "store").code == "ambiguous_key"


def test_the_store_copy_keeps_only_what_a_load_needs(tmp_path: Path) -> None:
    path = tmp_path / "image.tar"
    image_id = write_image(
        path,
        manifest=lambda e: json.dumps({**e, "RepoTags": ["victim:1"], "Parent": "x"}),
    )
    with image_store_stage(path=path, store_dir=tmp_path / "store") as staged:
        staged.publish()
    assert staged.image_id == image_id
    with tarfile.open(staged.target) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert [set(entry) for entry in manifest] == [{"Config", "Layers"}]
    # Labels and ordinary keys in any case are still fine where they are data, not fields.
    write_image(path, config={"Labels": {"Maintainer": "a", "maintainer": "b"}})
    with image_store_stage(path=path, store_dir=tmp_path / "store") as staged:
        assert staged.image.config["Labels"] == {"Maintainer": "a", "maintainer": "b"}


@pytest.mark.parametrize("kind", ["pax", "gnu"])
def test_a_sparse_member_in_a_layer_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "image.tar"
    write_image(path, layers=[layer_tar(sparse=kind)])
    refused = refusal(path, tmp_path / "store")
    assert refused.code == "sparse_member"
    assert "sparse file" in str(refused)


def test_layers_unpacking_past_the_limit_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.tar"
    files = {f"f{n}": secrets.token_bytes(3000) for n in range(4)}
    write_image(path, layers=[layer_tar(files), layer_tar(files)])
    limits = ImageLimits(max_unpacked_bytes=20_000)
    refused = refusal(path, tmp_path / "store", limits)
    assert refused.code == "image_too_large" and "20,000 bytes" in str(refused)
    # Under the limit, the same image is accepted.
    with image_store_stage(
        path=path, store_dir=tmp_path / "store", limits=ImageLimits(max_unpacked_bytes=24_000)
    ) as staged:
        assert staged.temporary is not None and staged.temporary.stat().st_size > 24_000


@pytest.mark.parametrize(
    "compress",
    [gzip.compress, bz2.compress, lzma.compress],
    ids=["gzip", "bzip2", "xz"],
)
def test_a_compression_bomb_stops_at_its_budget_and_leaves_nothing(
    tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    path = tmp_path / "bomb.tar"
    write_image(path, layers=[layer_tar({"zeros": bytes(8 * 1024**2)})], compress=compress)
    assert path.stat().st_size < 64 * 1024
    limits = ImageLimits(max_expansion=20, expansion_floor=1024**2)
    budget = limits.copy_budget(path)
    assert budget == 1024**2
    sink = io.BytesIO()
    with pytest.raises(ImageIntakeError) as refused:
        copy_untagged(path, sink, limits=limits)
    assert refused.value.code == "image_too_large"
    assert len(sink.getvalue()) <= budget  # never more than the budget written
    assert refusal(path, tmp_path / "store", limits).code == "image_too_large"
    # The absolute cap holds for an uncompressed tarball too.
    write_image(path, layers=[layer_tar({"zeros": bytes(2 * 1024**2)})])
    assert refusal(path, tmp_path / "store", ImageLimits(max_bytes=1024**2)).code == (
        "image_too_large"
    )


def test_a_layer_that_is_not_what_the_config_pins_stops_the_copy_there(tmp_path: Path) -> None:
    path = tmp_path / "image.tar"
    marker = secrets.token_hex(32).encode()
    second = layer_tar({"second.txt": marker})
    write_image(
        path,
        layers=[layer_tar(), second],
        diff_ids=[f"sha256:{'0' * 64}", f"sha256:{hashlib.sha256(second).hexdigest()}"],
    )
    inspected = image_tarball_inspect(path=path)
    sink = io.BytesIO()
    with pytest.raises(ImageIntakeError) as refused:
        copy_untagged(path, sink, inspected=inspected)
    assert refused.value.code == "layer_mismatch"
    assert marker not in sink.getvalue()  # stopped before the next layer was written
    assert refusal(path, tmp_path / "store").code == "layer_mismatch"


def test_a_layer_that_is_not_a_tar_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.tar"
    write_image(path, layers=[b"not a tar archive".ljust(1024, b"!")])
    refused = refusal(path, tmp_path / "store")
    assert refused.code == "not_an_image" and "not a complete tar archive" in str(refused)


def test_a_pax_size_is_what_the_walk_counts(tmp_path: Path) -> None:
    """The engine's reader takes a member's size from its pax record over the header field:
    so does the walk (a header claiming 0 bytes does not hide a pax size of 100,000)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("claimed")
        info.pax_headers = {"size": "100000"}
        info.size = 10
        tar.addfile(info, io.BytesIO(b"0123456789"))
    path = tmp_path / "image.tar"
    write_image(path, layers=[buffer.getvalue()])
    limits = ImageLimits(max_unpacked_bytes=50_000)
    assert refusal(path, tmp_path / "store", limits).code == "image_too_large"


def test_a_layer_with_a_broken_header_is_refused(tmp_path: Path) -> None:
    layer = bytearray(layer_tar())
    layer[148:156] = b"0000000\0"  # a checksum no reader accepts
    path = tmp_path / "image.tar"
    write_image(path, layers=[bytes(layer)])
    refused = refusal(path, tmp_path / "store")
    assert refused.code == "not_an_image" and "not a complete tar archive" in str(refused)

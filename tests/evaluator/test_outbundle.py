import io
import os
import socket
import tarfile
from pathlib import Path

import pytest

from evaluator.outbundle import BundleLimits, pack_output, unpack_bundle

LIMITS = BundleLimits(max_total_bytes=1024 * 1024, max_entries=100, max_depth=4)


def _roundtrip(source: Path, tmp_path: Path, limits: BundleLimits = LIMITS):
    bundle = tmp_path / "out.tar"
    packed = pack_output(source, bundle, limits=limits)
    if not packed.ok:
        return packed, None
    unpacked = unpack_bundle(bundle, tmp_path / "dest", limits=limits)
    return packed, unpacked


def _codes(report) -> dict[str, str]:
    return {refused.path: refused.code for refused in report.refused}


def test_regular_files_and_folders_travel(tmp_path: Path) -> None:
    source = tmp_path / "out"
    (source / "masks" / "deep").mkdir(parents=True)
    (source / "predictions.jsonl").write_text('{"id": "a", "score": 0.5}\n')
    (source / "masks" / "deep" / "a.png").write_bytes(b"\x89PNG" * 100)
    packed, unpacked = _roundtrip(source, tmp_path)
    assert packed.ok and packed.refused == [] and packed.files == 2
    assert unpacked is not None and unpacked.ok and unpacked.files == 2
    dest = tmp_path / "dest"
    assert (dest / "predictions.jsonl").read_text() == '{"id": "a", "score": 0.5}\n'
    assert (dest / "masks" / "deep" / "a.png").read_bytes() == b"\x89PNG" * 100


def test_links_devices_fifos_and_sockets_are_named_never_carried(tmp_path: Path) -> None:
    source = tmp_path / "out"
    source.mkdir()
    (source / "units.npz").symlink_to("/etc/passwd")
    (source / "dirlink").symlink_to("/etc")
    (source / "real.txt").write_text("x")
    os.link(source / "real.txt", source / "twin.txt")
    os.mkfifo(source / "pipe")  # opening it would block the packer forever
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(source / "sock"))
    if os.geteuid() == 0:
        os.mknod(source / "null", 0o600 | 0o020000, os.makedev(1, 3))
    try:
        packed, _unpacked = _roundtrip(source, tmp_path)
    finally:
        server.close()
    codes = _codes(packed)
    assert codes["units.npz"] == "symlink" and codes["dirlink"] == "symlink"
    assert codes["twin.txt"] == "hardlink"
    assert codes["pipe"] == "fifo" and codes["sock"] == "socket"
    if os.geteuid() == 0:
        assert codes["null"] == "device"
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["real.txt"]


def test_sparse_file_counts_bytes_read_against_one_budget(tmp_path: Path) -> None:
    source = tmp_path / "out"
    source.mkdir()
    with (source / "sparse.bin").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024 * 1024)  # 64 GiB apparent, no blocks on disk
    packed, unpacked = _roundtrip(source, tmp_path)
    assert packed.fatal == "output_too_large" and unpacked is None
    assert not (tmp_path / "out.tar").exists()


def test_hard_links_cannot_multiply_the_cap(tmp_path: Path) -> None:
    source = tmp_path / "out"
    source.mkdir()
    (source / "big.bin").write_bytes(b"x" * (600 * 1024))
    for n in range(10):
        os.link(source / "big.bin", source / f"twin{n}.bin")
    packed, _unpacked = _roundtrip(source, tmp_path)
    assert packed.ok and packed.bytes_read == 600 * 1024
    assert sum(1 for r in packed.refused if r.code == "hardlink") == 10


def test_many_tiny_files_stop_at_the_entry_limit(tmp_path: Path) -> None:
    source = tmp_path / "out"
    source.mkdir()
    for n in range(150):
        (source / f"f{n}").write_bytes(b"")
    packed, unpacked = _roundtrip(source, tmp_path)
    assert packed.fatal == "output_too_many_files" and unpacked is None


def test_bad_names_and_depth_are_refused_and_printable(tmp_path: Path) -> None:
    source = tmp_path / "out"
    source.mkdir()
    os.close(os.open(bytes(source) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    (source / "ctl\x01name").write_text("x")
    (source / "a" / "b" / "c" / "d").mkdir(parents=True)
    (source / "a" / "b" / "c" / "d" / "e.txt").write_text("x")
    (source / "ok.txt").write_text("ok")
    packed, unpacked = _roundtrip(source, tmp_path)
    codes = _codes(packed)
    assert codes["bad\\xff.txt"] == "bad_name"
    assert codes["ctl\\x01name"] == "bad_name"
    assert codes["a/b/c/d"] == "too_deep"
    for refused in packed.refused:
        assert refused.path.isprintable() and "\x00" not in str(refused)
    assert unpacked is not None and unpacked.files == 1


def test_unpack_trusts_nothing_in_a_forged_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "forged.tar"
    with tarfile.open(bundle, "w", format=tarfile.PAX_FORMAT) as tar:
        link = tarfile.TarInfo("units.npz")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        hard = tarfile.TarInfo("hard")
        hard.type, hard.linkname = tarfile.LNKTYPE, "units.npz"
        tar.addfile(hard)
        fifo = tarfile.TarInfo("pipe")
        fifo.type = tarfile.FIFOTYPE
        tar.addfile(fifo)
        for name in ("../escape.txt", "/abs.txt", "ok.txt", "ok.txt", "x\x1b.txt"):
            member = tarfile.TarInfo(name)
            member.size = 2

            tar.addfile(member, io.BytesIO(b"hi"))
    report = unpack_bundle(bundle, tmp_path / "dest", limits=LIMITS)
    codes = [(r.path, r.code) for r in report.refused]
    assert ("units.npz", "not_regular") in codes and ("hard", "not_regular") in codes
    assert ("pipe", "not_regular") in codes
    assert ("../escape.txt", "bad_name") in codes and ("/abs.txt", "bad_name") in codes
    assert ("ok.txt", "duplicate") in codes and ("x\\x1b.txt", "bad_name") in codes
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["ok.txt"]
    assert not (tmp_path / "escape.txt").exists()


def test_unpack_refuses_an_existing_destination(tmp_path: Path) -> None:
    source = tmp_path / "out"
    source.mkdir()
    (source / "a").write_text("a")
    pack_output(source, tmp_path / "b.tar", limits=LIMITS)
    (tmp_path / "dest").symlink_to("/tmp")
    with pytest.raises(FileExistsError):
        unpack_bundle(tmp_path / "b.tar", tmp_path / "dest", limits=LIMITS)

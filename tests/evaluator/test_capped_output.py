import os
import subprocess
from pathlib import Path

import pytest

from evaluator.capped_output import OutputCapUnavailable, capped_output, collect_output
from evaluator.outbundle import BundleLimits

LIMITS = BundleLimits(max_total_bytes=64 * 1024 * 1024)


def test_writer_hits_enospc_at_the_cap_and_files_survive(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("loop mounts need root")
    try:
        with capped_output(tmp_path / "run", cap_mb=8, owner="65534:65534") as folder:
            assert folder.stat().st_uid == 65534
            with pytest.raises(OSError) as info, (folder / "flood.bin").open("wb") as handle:
                for _ in range(64):
                    handle.write(b"\0" * (1 << 20))
                    handle.flush()
                    os.fsync(handle.fileno())
            assert "No space left" in str(info.value)
            (folder / "predictions.jsonl").write_text('{"id": "a", "score": 0.1}\n')
            collect_output(folder, tmp_path / "artifacts", bundle=tmp_path / "b.tar", limits=LIMITS)
    except OutputCapUnavailable as exc:
        pytest.fail(f"loop mount unavailable as root: {exc}")
    assert (tmp_path / "artifacts" / "predictions.jsonl").read_text().startswith('{"id"')
    assert not (tmp_path / "run" / "output.img").exists()
    mounts = subprocess.run(["mount"], capture_output=True, text=True).stdout
    assert str(tmp_path / "run") not in mounts


def test_collect_carries_regular_files_only_and_names_the_rest(tmp_path: Path) -> None:
    source = tmp_path / "out"
    (source / "masks").mkdir(parents=True)
    (source / "masks" / "a.png").write_bytes(b"png")
    (source / "leak").symlink_to("/etc/passwd")
    os.mkfifo(source / "pipe")
    report = collect_output(source, tmp_path / "copy", bundle=tmp_path / "b.tar", limits=LIMITS)
    assert not (tmp_path / "copy" / "leak").exists()
    assert not (tmp_path / "copy" / "leak").is_symlink()
    assert (tmp_path / "copy" / "masks" / "a.png").read_bytes() == b"png"
    assert [str(refused) for refused in report.refused] == ["leak: symlink", "pipe: fifo"]
    assert not (tmp_path / "b.tar").exists()  # the bundle goes once unpacked


def test_collect_replaces_an_earlier_copy_and_keeps_nothing_of_a_refused_output(
    tmp_path: Path,
) -> None:
    source = tmp_path / "out"
    source.mkdir()
    (source / "predictions.jsonl").write_text("x")
    destination = tmp_path / "copy"
    (destination / "stale").mkdir(parents=True)
    report = collect_output(source, destination, bundle=tmp_path / "b.tar", limits=LIMITS)
    assert report.ok and sorted(p.name for p in destination.iterdir()) == ["predictions.jsonl"]
    for n in range(5):
        (source / f"extra{n}").write_text("x")
    small = BundleLimits(max_total_bytes=1024, max_entries=3)
    report = collect_output(source, destination, bundle=tmp_path / "b.tar", limits=small)
    assert report.fatal == "output_too_many_files" and not destination.exists()

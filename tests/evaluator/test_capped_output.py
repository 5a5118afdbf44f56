import os
import subprocess
from pathlib import Path

import pytest

from evaluator.capped_output import OutputCapUnavailable, capped_output, collect_output


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
            collect_output(folder, tmp_path / "artifacts")
    except OutputCapUnavailable as exc:
        pytest.fail(f"loop mount unavailable as root: {exc}")
    assert (tmp_path / "artifacts" / "predictions.jsonl").read_text().startswith('{"id"')
    assert not (tmp_path / "run" / "output.img").exists()
    mounts = subprocess.run(["mount"], capture_output=True, text=True).stdout
    assert str(tmp_path / "run") not in mounts


def test_collect_keeps_symlinks_as_links_and_skips_fifos(tmp_path: Path) -> None:
    source = tmp_path / "out"
    (source / "masks").mkdir(parents=True)
    (source / "masks" / "a.png").write_bytes(b"png")
    (source / "leak").symlink_to("/etc/passwd")
    os.mkfifo(source / "pipe")
    skipped = collect_output(source, tmp_path / "copy")
    assert (tmp_path / "copy" / "leak").is_symlink()
    assert os.readlink(tmp_path / "copy" / "leak") == "/etc/passwd"
    assert (tmp_path / "copy" / "masks" / "a.png").read_bytes() == b"png"
    assert skipped == ["pipe"]

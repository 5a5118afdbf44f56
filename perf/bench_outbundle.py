"""Output copy-out speed: `evaluator.outbundle` (pack + re-checked unpack) against GNU `tar`.

    .venv/bin/python perf/bench_outbundle.py            # the full run (`make bench`)
    .venv/bin/python perf/bench_outbundle.py --quick    # smaller folders, a smoke check

Two folders are generated, shaped like what containers write: many small files (masks) and a
few large ones. Each is carried out twice, the way the platform does it (pack into a bundle,
then unpack it into a fresh folder), and with `tar -cf` + `tar -xf --no-same-owner -m` on the
same folder (restoring neither owner nor mtime, like ours); both write the bundle and the copy
to the same disk. Times are the best of 3 (page cache warm for
both). The goal: ours within 2x of tar.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluator.outbundle import BundleLimits, pack_output, unpack_bundle

LIMITS = BundleLimits(max_total_bytes=8 << 30, max_entries=20_000)


def make_small(folder: Path, count: int, size: int) -> None:
    rng = os.urandom
    for number in range(count):
        sub = folder / "masks" / f"{number // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"m{number:05d}.png").write_bytes(rng(size))
    (folder / "predictions.jsonl").write_bytes(b'{"id": "x", "score": 0.5}\n' * 10_000)


def make_large(folder: Path, count: int, size: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    block = os.urandom(1 << 20)
    for number in range(count):
        with (folder / f"features{number}.bin").open("wb") as handle:
            for _ in range(size >> 20):
                handle.write(block)


def _cpu() -> float:
    """CPU seconds of this process and its waited-for children (tar)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def best(
    setup: Callable[[], None], run: Callable[[], None], repeats: int = 3
) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `repeats` runs."""
    times = []
    for _ in range(repeats):
        setup()
        cpu, start = _cpu(), time.perf_counter()
        run()
        times.append((time.perf_counter() - start, _cpu() - cpu))
    return min(times)


def measure(source: Path, work: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    bundle, dest = work / "bundle.tar", work / "dest"

    def clean() -> None:
        bundle.unlink(missing_ok=True)
        shutil.rmtree(dest, ignore_errors=True)

    def ours() -> None:
        packed = pack_output(source, bundle, limits=LIMITS)
        assert packed.ok and not packed.refused, packed
        unpacked = unpack_bundle(bundle, dest, limits=LIMITS)
        assert unpacked.ok and unpacked.files == packed.files

    def tar() -> None:
        subprocess.run(["tar", "-cf", str(bundle), "-C", str(source), "."], check=True)
        dest.mkdir()
        # Like ours: no owner, mode or mtime restored on the copy.
        subprocess.run(
            ["tar", "-xf", str(bundle), "-C", str(dest), "--no-same-owner", "-m"], check=True
        )

    ours_s = best(clean, ours)
    tar_s = best(clean, tar)
    clean()
    return ours_s, tar_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    small = (1_000, 8 << 10) if args.quick else (10_000, 8 << 10)
    large = (2, 16 << 20) if args.quick else (2, 256 << 20)
    root = Path(os.environ.get("FORGERYBENCH_BENCH_DIR", tempfile.gettempdir()))
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root, prefix="bench-outbundle-") as scratch:
        work = Path(scratch)
        rows = []
        for label, make, shape in (
            (f"{small[0]:,} files of {small[1] >> 10} KiB", make_small, small),
            (f"{large[0]} files of {large[1] >> 20} MiB", make_large, large),
        ):
            source = work / "source"
            make(source, *shape)
            ours_s, tar_s = measure(source, work)
            rows.append((label, ours_s, tar_s))
            shutil.rmtree(source)
    print(
        f"{'output folder':<26}{'wall: ours':>12}{'tar':>9}{'ratio':>8}{'CPU: ours':>12}{'tar':>9}"
    )
    for label, (ours_w, ours_c), (tar_w, tar_c) in rows:
        print(
            f"{label:<26}{ours_w:>10.3f} s{tar_w:>7.3f} s{ours_w / tar_w:>7.2f}x"
            f"{ours_c:>10.3f} s{tar_c:>7.3f} s"
        )
    worst = max(ours[0] / tar[0] for _, ours, tar in rows)
    print(f"goal: within 2x of tar; worst ratio {worst:.2f}x: {'met' if worst <= 2 else 'MISSED'}")


if __name__ == "__main__":
    main()

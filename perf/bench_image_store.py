"""Image intake without an engine, and an agent's fetch-and-load, against a plain `docker load`.

    .venv/bin/python perf/bench_image_store.py

One real image (the sanity baseline with a fresh label: its layers, a new ID, ~240 MB) is
saved with `docker save`. Then, best of 3 each:

* intake: `evaluator.image_tarball.image_store_stage` + publish, what web does with an upload
  (read manifest and config, copy the tarball untagged into the store while hashing every
  layer, re-check the copy), into an empty store each time;
* agent load: `runagent.images.image_load_checked` on the store's copy (check the config
  digest, stream the tarball untagged into `docker load`, check the loaded ID, name it), with
  the image removed from the engine before each try (its layers stay: the baseline holds them);
* `docker load -i` of the same tarball, image removed before each try, for reference;
* the copy alone into /dev/null (hashing, size limits, each layer's tar headers read for
  sparse members and unpacked sizes), and the same copy with the header walk switched off:
  what reading the layers' headers while streaming costs.

Needs Docker and forgerybench/baseline-sanity (deploy/images/build_baselines.sh).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import docker
import docker.errors

from evaluator import image_tarball
from evaluator.image_tarball import copy_untagged, image_store_stage, image_tarball_inspect
from runagent.images import image_load_checked

BASE = "forgerybench/baseline-sanity:latest"


def best_of(runs: int, before: Callable[[], object], step: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        before()
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    engine = docker.from_env(timeout=600)
    with tempfile.TemporaryDirectory(prefix="bench-image-store-") as folder:
        root = Path(folder)
        (root / "ctx").mkdir()
        (root / "ctx" / "Dockerfile").write_text(
            f"FROM {BASE}\nLABEL bench.nonce={secrets.token_hex(8)}\n"
        )
        image, _ = engine.images.build(path=str(root / "ctx"), pull=False, rm=True)
        image_id = image.id or ""
        tarball = root / "image.tar"
        with tarball.open("wb") as sink:
            for chunk in image.save(named=False):
                sink.write(chunk)
        size_mb = tarball.stat().st_size / 1e6
        store = root / "store"

        def empty_store() -> None:
            shutil.rmtree(store, ignore_errors=True)

        def intake() -> None:
            with image_store_stage(path=tarball, store_dir=store) as staged:
                staged.publish()

        def unload() -> None:
            with contextlib.suppress(docker.errors.ImageNotFound):
                engine.images.remove(image_id, force=True)

        inspected = image_tarball_inspect(path=tarball)
        walk = image_tarball._LayerWalk.feed

        def copy(walked: bool) -> None:
            image_tarball._LayerWalk.feed = walk if walked else lambda self, data: None  # type: ignore[method-assign]
            try:
                with open(os.devnull, "wb") as sink:
                    copy_untagged(tarball, sink, inspected=inspected)
            finally:
                image_tarball._LayerWalk.feed = walk  # type: ignore[method-assign]

        try:
            # interleaved, so both see the same load on a shared machine
            copies: list[tuple[float, bool]] = []
            for _ in range(4):
                for walked in (True, False):
                    start = time.perf_counter()
                    copy(walked)
                    copies.append((time.perf_counter() - start, walked))
            copy_s = min(t for t, walked in copies if walked)
            unwalked_s = min(t for t, walked in copies if not walked)
            intake_s = best_of(3, empty_store, intake)
            stored = store / f"{image_id.removeprefix('sha256:')}.tar"
            agent_s = best_of(
                3, unload, lambda: image_load_checked(engine, path=stored, image_id=image_id)
            )
            plain_s = best_of(
                3,
                unload,
                lambda: subprocess.run(
                    ["docker", "load", "-q", "-i", str(tarball)], check=True, capture_output=True
                ),
            )
        finally:
            unload()
    print(f"image tarball: {size_mb:.0f} MB")
    print(f"intake (check + untagged store copy, no engine): {intake_s:.2f} s")
    print(f"agent load (check + untagged stream into docker load): {agent_s:.2f} s")
    print(f"plain docker load -i of the same tarball: {plain_s:.2f} s")
    print(
        f"copy alone to /dev/null: {copy_s:.2f} s "
        f"(without the layer header walk: {unwalked_s:.2f} s)"
    )


if __name__ == "__main__":
    main()

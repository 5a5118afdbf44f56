"""Offline base image and baseline submissions, run under the container contract's hardening."""

from __future__ import annotations

import json
import math
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.smoke.detect import build_detection_split

pytestmark = pytest.mark.docker

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "deploy" / "images" / "build_baselines.sh"
BASELINES = ("sanity", "highfreq")
# The detection baselines; the other tasks' sanity images are tested in tests/benchmarks.
BUILD_ENV = {**os.environ, "BASELINES": " ".join(BASELINES)}
SPLIT_SEED, SPLIT_COUNT = 2, 200  # the test split; highfreq was fitted on val seed 101
HARDENING: dict[str, Any] = {
    "network_mode": "none",
    "read_only": True,
    "user": "65534:65534",
    "cap_drop": ["ALL"],
    "security_opt": ["no-new-privileges"],
    "pids_limit": 64,
    "mem_limit": "512m",
    "tmpfs": {"/tmp": "size=64m"},
}


def auc(labels: list[int], scores: list[float]) -> float:
    """ROC AUC (ties count half): scikit-learn when installed, else Mann-Whitney in NumPy."""
    try:
        from sklearn.metrics import roc_auc_score
    except ImportError:
        y, s = np.asarray(labels), np.asarray(scores, dtype=np.float64)
        pos, neg = s[y == 1], s[y == 0]
        wins = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
        return float(wins / (len(pos) * len(neg)))
    return float(roc_auc_score(labels, scores))


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    docker = pytest.importorskip("docker", reason="the docker SDK is not installed")
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker engine answers ({exc}); start dockerd to run image tests")
    yield client
    client.close()


@pytest.fixture(scope="session")
def tags(engine: Any) -> dict[str, str]:
    """Build (or find cached) base and baseline images; maps name -> exact tag."""
    done = subprocess.run(
        [str(BUILD)], capture_output=True, text=True, timeout=1800, check=False, env=BUILD_ENV
    )
    assert done.returncode == 0, done.stderr[-4000:]
    lines = done.stdout.split()
    assert lines[0].startswith("forgerybench/base:")
    built = {line.split(":")[0].removeprefix("forgerybench/baseline-"): line for line in lines[1:]}
    assert set(built) == set(BASELINES)
    return {"base": lines[0], **built}


@pytest.fixture(scope="session")
def split(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("smoke")
    build_detection_split(
        inputs_dir=root / "inputs",
        labels_dir=root / "labels",
        split="test",
        count=SPLIT_COUNT,
        seed=SPLIT_SEED,
    )
    # The container runs as 65534: everything under /input must be world-readable.
    for path in [root, *(root / "inputs").rglob("*"), root / "inputs"]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    truth = (root / "labels" / "truth.jsonl").read_text().splitlines()
    return {"inputs": root / "inputs", "truth": dict(map(_id_label, truth))}


def _id_label(line: str) -> tuple[str, int]:
    row = json.loads(line)
    return row["id"], row["label"]


def _writable_output(path: Path) -> Path:
    path.mkdir()
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)
    else:
        path.chmod(0o777)
    return path


def run_hardened(
    engine: Any, image: str, inputs: Path, output: Path, command: list[str] | None = None
) -> tuple[int, str]:
    """Run a container as the runner does; returns (exit code, stderr)."""
    container = engine.containers.run(
        image,
        command=command,
        detach=True,
        volumes={
            str(inputs): {"bind": "/input", "mode": "ro"},
            str(output): {"bind": "/output", "mode": "rw"},
        },
        **HARDENING,
    )
    try:
        status = container.wait(timeout=300)
        logs = container.logs(stdout=False, stderr=True).decode("utf-8", "replace")
    finally:
        container.remove(force=True)
    return int(status["StatusCode"]), logs


@pytest.fixture(scope="session")
def predictions(
    engine: Any,
    tags: dict[str, str],
    split: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[list[str], str]]:
    """Each baseline's predictions.jsonl lines and its stderr."""
    out = {}
    for name in BASELINES:
        output = _writable_output(tmp_path_factory.mktemp(name) / "output")
        code, logs = run_hardened(engine, tags[name], split["inputs"], output)
        assert code == 0, logs
        out[name] = ((output / "predictions.jsonl").read_text().splitlines(), logs)
    return out


@pytest.mark.parametrize("name", BASELINES)
def test_predictions_cover_every_id_once_with_a_probability(
    predictions: dict[str, tuple[list[str], str]], split: dict[str, Any], name: str
) -> None:
    lines, logs = predictions[name]
    rows = [json.loads(line) for line in lines]
    assert sorted(r["id"] for r in rows) == sorted(split["truth"])
    for r in rows:
        assert set(r) == {"id", "score"}
        assert isinstance(r["score"], float) and math.isfinite(r["score"])
        assert 0.0 <= r["score"] <= 1.0
    assert f"{name}: " in logs  # progress goes to stderr


def _auc_of(lines: list[str], truth: dict[str, int]) -> float:
    scores = {r["id"]: r["score"] for r in map(json.loads, lines)}
    ids = sorted(truth)
    return auc([truth[i] for i in ids], [scores[i] for i in ids])


def test_highfreq_beats_chance(
    predictions: dict[str, tuple[list[str], str]], split: dict[str, Any]
) -> None:
    assert _auc_of(predictions["highfreq"][0], split["truth"]) > 0.65


def test_sanity_is_at_chance_level(
    predictions: dict[str, tuple[list[str], str]], split: dict[str, Any]
) -> None:
    # Null standard deviation of AUC for 100 + 100 samples is about 0.04.
    assert 0.35 < _auc_of(predictions["sanity"][0], split["truth"]) < 0.65


def test_build_is_cached(tags: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BUILD)], capture_output=True, text=True, timeout=120, check=True, env=BUILD_ENV
    )
    assert done.stdout.split() == [tags["base"], tags["sanity"], tags["highfreq"]]
    assert "building" not in done.stderr


def test_base_image_runs_python_as_nobody_on_a_read_only_root(
    engine: Any, tags: dict[str, str], split: dict[str, Any], tmp_path: Path
) -> None:
    probe = (
        "import os, sys, numpy, PIL\n"
        "assert os.getuid() == 65534, os.getuid()\n"
        "assert sys.version_info[:2] == (3, 11), sys.version\n"
        "for path in ('/probe', '/input/probe'):\n"
        "    try:\n"
        "        open(path, 'w')\n"
        "    except OSError:\n"
        "        continue\n"
        "    sys.exit('wrote ' + path)\n"
        "open('/tmp/probe', 'w').write('ok')\n"
        "open('/output/probe', 'w').write(numpy.__version__ + ' ' + PIL.__version__)\n"
    )
    output = _writable_output(tmp_path / "output")
    code, logs = run_hardened(
        engine, tags["base"], split["inputs"], output, ["python3", "-c", probe]
    )
    assert code == 0, logs
    assert (output / "probe").read_text().startswith("1.")

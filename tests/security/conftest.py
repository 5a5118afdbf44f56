"""The attack arena: a small benchmark laid out exactly like a real one, with planted markers.

Every split's sealed labels folder and another team's artifacts carry a random marker string;
an attack that could read either would print it. Each attack test records what it tried and
what happened; with FORGERYBENCH_SECURITY_REPORT=<file> set, the session rewrites the table
between the markers in that file (`make security-report` → docs/security.md).
"""

import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

TABLE_START = "<!-- attack-table:start -->"
TABLE_END = "<!-- attack-table:end -->"


@dataclass
class AttackRecord:
    number: int
    attack: str
    expected: str
    observed: str
    held: bool | None = None


_RECORDS: dict[int, AttackRecord] = {}


@pytest.fixture
def record_attack():  # type: ignore[no-untyped-def]
    """record_attack(number, attack, expected) -> AttackRecord; set .observed, then .held."""

    def start(number: int, attack: str, expected: str) -> AttackRecord:
        record = AttackRecord(number, attack, expected, observed="(did not finish)", held=False)
        _RECORDS[number] = record
        return record

    return start


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("FORGERYBENCH_SECURITY_REPORT")
    if not target or not _RECORDS:
        return
    path = Path(target)
    text = path.read_text()
    if TABLE_START not in text or TABLE_END not in text:
        raise RuntimeError(f"{path} lacks the {TABLE_START} … {TABLE_END} markers")
    held = sum(1 for r in _RECORDS.values() if r.held)
    rows = [
        f"Attacks contained: **{held}/{len(_RECORDS)}**.",
        "",
        "| # | attack | expected | observed (what the team is shown / what the test saw) | held |",
        "|---|---|---|---|---|",
    ]
    for record in sorted(_RECORDS.values(), key=lambda r: r.number):
        observed = record.observed.replace("|", "\\|").replace("\n", " ")
        rows.append(
            f"| {record.number} | {record.attack} | {record.expected} | {observed} | "
            f"{'yes' if record.held else '**NO**'} |"
        )
    head, rest = text.split(TABLE_START, 1)
    _, tail = rest.split(TABLE_END, 1)
    path.write_text(f"{head}{TABLE_START}\n{chr(10).join(rows)}\n{TABLE_END}{tail}")


def _write_lines(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture
def arena(db: None, settings, people):  # type: ignore[no-untyped-def]
    """A detection track and a localization track, one hidden split each, plus markers."""
    from benchmarks.services import benchmark_upsert, split_register, track_upsert

    settings.FORGERYBENCH_PIDS_LIMIT = 32
    settings.FORGERYBENCH_OUTPUT_CAP_MB = 8
    settings.FORGERYBENCH_TMPFS_MB = 16
    settings.FORGERYBENCH_LOG_TAIL_BYTES = 16384
    marker = f"fbmark-{secrets.token_hex(8)}"
    benchmark = benchmark_upsert(
        slug="arena", name="Arena", description="attack tests", synthetic=True
    )
    splits_dir = Path(settings.FORGERYBENCH_SPLITS_DIR) / "arena"
    labels_dir = Path(settings.FORGERYBENCH_LABELS_DIR) / "arena"

    detect = track_upsert(
        benchmark=benchmark,
        slug="detect",
        name="Detect",
        task="detection",
        primary_metric="auc",
        timeout_seconds=60,
        memory_mb=256,
        cpus=1.0,
    )
    inputs = splits_dir / "detect-test"
    (inputs / "images").mkdir(parents=True, exist_ok=True)
    (inputs / "task.json").write_text(json.dumps({"protocol": 1, "task": "detection"}))
    ids = [f"d{i}" for i in range(4)]
    _write_lines(inputs / "manifest.jsonl", [{"id": i, "path": f"images/{i}.png"} for i in ids])
    truth = labels_dir / "detect-test" / "truth.jsonl"
    _write_lines(truth, [{"id": i, "label": n % 2} for n, i in enumerate(ids)])
    (truth.parent / "provenance.txt").write_text(f"sealed labels {marker}\n")
    split_register(
        track=detect, name="test", visibility="hidden", inputs_dir=inputs, labels_path=truth
    )

    localize = track_upsert(
        benchmark=benchmark,
        slug="localize",
        name="Localize",
        task="localization",
        primary_metric="pixel_f1",
        timeout_seconds=60,
        memory_mb=256,
        cpus=1.0,
    )
    inputs = splits_dir / "localize-test"
    (inputs / "images").mkdir(parents=True, exist_ok=True)
    (inputs / "task.json").write_text(json.dumps({"protocol": 1, "task": "localization"}))
    _write_lines(
        inputs / "manifest.jsonl", [{"id": f"l{i}", "path": f"images/l{i}.png"} for i in range(2)]
    )
    truth = labels_dir / "localize-test" / "truth.jsonl"
    mask = np.zeros((8, 8), dtype=np.uint8)
    mask[2:6, 2:6] = 255
    (truth.parent / "masks").mkdir(parents=True, exist_ok=True)
    Image.fromarray(mask).save(truth.parent / "masks" / "l0.png")
    _write_lines(
        truth,
        [
            {"id": "l0", "label": 1, "mask": "masks/l0.png"},
            {"id": "l1", "label": 0, "mask": None, "width": 8, "height": 8},
        ],
    )
    (truth.parent / "provenance.txt").write_text(f"sealed labels {marker}\n")
    split_register(
        track=localize, name="test", visibility="hidden", inputs_dir=inputs, labels_path=truth
    )

    # Another team's predictions, where the platform keeps every team's artifacts.
    other = Path(settings.FORGERYBENCH_ARTIFACTS_DIR) / "999999" / "test"
    _write_lines(other / "predictions.jsonl", [{"id": "d0", "score": 0.1, "note": marker}])
    return SimpleNamespace(
        detect=detect, localize=localize, marker=marker, people=people, settings=settings
    )


@pytest.fixture
def submit(arena, docker_client):  # type: ignore[no-untyped-def]
    """Submit an image on a track and drive the real run and score steps; returns the row."""
    from submissions.models import Status
    from submissions.pipeline import submission_score
    from submissions.services import submission_create_from_image
    from tests.agents import submission_run_here

    def go(image: str, track=None):  # type: ignore[no-untyped-def]
        submission = submission_create_from_image(
            team=arena.people.team,
            track=track or arena.detect,
            user=arena.people.owner,
            image_reference=image,
            method_name="attack",
            training_data="other: none",
        )
        submission_run_here(submission_id=submission.pk)
        submission.refresh_from_db()
        if submission.status == Status.SCORING:
            submission_score(submission_id=submission.pk)
            submission.refresh_from_db()
        return submission

    return go


@pytest.fixture
def no_leftovers(docker_client, settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """After the test: no container of this installation is left and no loop mount either."""
    yield
    left = docker_client.containers.list(
        all=True, filters={"label": f"org.forgerybench.instance={settings.FORGERYBENCH_INSTANCE}"}
    )
    assert left == [], f"containers left behind: {[c.name for c in left]}"
    mounts = Path("/proc/mounts").read_text()
    assert str(Path(settings.DATA_DIR)) not in mounts, "a run's /output is still mounted"

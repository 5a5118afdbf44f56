"""The starter kit in-process: batches, atomic output, checks that agree with the platform."""

import json
from pathlib import Path

import numpy as np
import pytest
from forgerybench_starter import check_predictions, read_task, run
from forgerybench_starter.runner import Batch
from PIL import Image

from evaluator.validation import PredictionError, read_predictions


def _inputs(folder: Path, task: str, sizes: list[tuple[int, int]]) -> list[str]:
    (folder / "images").mkdir(parents=True)
    ids = []
    with (folder / "manifest.jsonl").open("w") as manifest:
        for i, (width, height) in enumerate(sizes):
            ident = f"s{i:03d}"
            noise = np.random.default_rng(i).integers(0, 255, (height, width, 3), dtype=np.uint8)
            Image.fromarray(noise).save(folder / "images" / f"{ident}.png")
            manifest.write(json.dumps({"id": ident, "path": f"images/{ident}.png"}) + "\n")
            ids.append(ident)
    (folder / "task.json").write_text(
        json.dumps({"protocol": 1, "task": task, "track": "t", "outputs": "predictions.jsonl"})
    )
    return ids


@pytest.fixture
def io_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    inputs, outputs = tmp_path / "input", tmp_path / "output"
    outputs.mkdir()
    monkeypatch.setenv("FORGERYBENCH_INPUT", str(inputs))
    monkeypatch.setenv("FORGERYBENCH_OUTPUT", str(outputs))
    return inputs, outputs


def test_detection_batches_and_a_valid_file(io_dirs) -> None:
    inputs, outputs = io_dirs
    ids = _inputs(inputs, "detection", [(40, 30)] * 7)
    seen: list[int] = []

    def predict(batch: Batch) -> list[float]:
        seen.append(len(batch))
        return [float(image.mean() / 255.0) for image in batch.images]

    assert run(predict, batch_size=3) == 0
    assert seen == [3, 3, 1]
    predictions = read_predictions("detection", outputs / "predictions.jsonl", ids)
    assert predictions.scores is not None and len(predictions.scores) == 7
    assert sorted(p.name for p in outputs.iterdir()) == ["predictions.jsonl"], "no partial files"


def test_localization_masks_are_written_as_8_bit_pngs(io_dirs) -> None:
    inputs, outputs = io_dirs
    ids = _inputs(inputs, "localization", [(32, 24), (20, 16)])

    def predict(batch: Batch) -> list:
        return [(np.full(image.shape[:2], 0.75), 0.6) for image in batch.images]

    assert run(predict) == 0
    predictions = read_predictions("localization", outputs / "predictions.jsonl", ids)
    assert predictions.masks is not None
    with Image.open(predictions.masks[1]) as mask:
        assert mask.mode == "L" and mask.size == (20, 16)
        assert mask.getpixel((0, 0)) == 191


def test_a_broken_prediction_is_named_and_never_published(io_dirs, capsys) -> None:
    inputs, outputs = io_dirs
    _inputs(inputs, "detection", [(16, 16)] * 3)
    assert run(lambda batch: [float("nan"), 0.5, 1.5]) == 4
    assert list(outputs.iterdir()) == [], "nothing is published, not even a partial file"
    log = capsys.readouterr().err
    assert "bad_score" in log and "line 1" in log and "line 3" in log


def test_a_wrong_number_of_answers_stops_the_run(io_dirs) -> None:
    inputs, outputs = io_dirs
    _inputs(inputs, "detection", [(16, 16)] * 3)
    assert run(lambda batch: [0.5]) == 3
    assert list(outputs.iterdir()) == []


BROKEN = {
    "missing_id": ['{"id": "s000", "score": 0.1}', '{"id": "s001", "score": 0.2}'],
    "duplicate_id": [
        '{"id": "s000", "score": 0.1}',
        '{"id": "s000", "score": 0.1}',
        '{"id": "s001", "score": 0.2}',
        '{"id": "s002", "score": 0.3}',
    ],
    "unknown_id": [
        '{"id": "s000", "score": 0.1}',
        '{"id": "s001", "score": 0.2}',
        '{"id": "s002", "score": 0.3}',
        '{"id": "zzz", "score": 0.3}',
    ],
    "bad_score": [
        '{"id": "s000", "score": -0.1}',
        '{"id": "s001", "score": 0.2}',
        '{"id": "s002", "score": 0.3}',
    ],
    "unknown_field": [
        '{"id": "s000", "score": 0.1, "x": 1}',
        '{"id": "s001", "score": 0.2}',
        '{"id": "s002", "score": 0.3}',
    ],
}


@pytest.mark.parametrize("code", sorted(BROKEN))
def test_the_kit_names_what_the_platform_names(io_dirs, code: str) -> None:
    inputs, outputs = io_dirs
    ids = _inputs(inputs, "detection", [(8, 8)] * 3)
    path = outputs / "predictions.jsonl"
    path.write_text("\n".join(BROKEN[code]) + "\n")
    with pytest.raises(PredictionError) as platform:
        read_predictions("detection", path, ids)
    assert platform.value.code == code
    assert code in check_predictions(str(path), read_task())

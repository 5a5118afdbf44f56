from __future__ import annotations

from pathlib import Path

import pytest

from evaluator.truth import DetectionTruth, load_truth
from evaluator.validation import TruthError


def _truth(tmp_path: Path, write_lines, task: str, rows: list[dict]):  # type: ignore[no-untyped-def]
    return load_truth(task, write_lines(tmp_path / "truth.jsonl", rows))


def test_frame_track_truth(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    rows = [{"id": "a", "label": 1, "video": "v"}, {"id": "b", "label": 0, "video": "w"}]
    truth = _truth(tmp_path, write_lines, "detection", rows)
    assert isinstance(truth, DetectionTruth) and truth.videos == ["v", "w"]


@pytest.mark.parametrize(
    ("task", "rows", "code"),
    [
        ("detection", [{"id": "a", "label": 1}, {"id": "b", "label": 1}], "single_class"),
        ("detection", [{"id": "a", "label": 2}, {"id": "b", "label": 0}], "bad_line"),
        ("detection", [{"id": "a", "label": 1}, {"id": "a", "label": 0}], "duplicate_id"),
        (
            "detection",
            [{"id": "a", "label": 1, "video": "v"}, {"id": "b", "label": 0, "video": "v"}],
            "inconsistent_video",
        ),
        ("detection", [{"id": "a", "label": 1, "video": "v"}, {"id": "b", "label": 0}], "bad_line"),
        ("localization", [{"id": "a", "label": 1, "mask": None}], "bad_line"),
        ("localization", [{"id": "a", "label": 0, "mask": None}], "single_class"),
        ("retrieval", [{"id": "q", "relevant": []}], "bad_line"),
        ("video_localization", [{"id": "a", "video": "v", "frame": -1, "mask": None}], "bad_line"),
    ],
)
def test_bad_truth_is_a_named_error(
    tmp_path: Path, write_lines, task: str, rows, code: str
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TruthError) as info:
        _truth(tmp_path, write_lines, task, rows)
    assert info.value.code == code


def test_unknown_task(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="unknown task"):
        _truth(tmp_path, write_lines, "segmentation", [{"id": "a"}])

"""Each protocol §3 rule is a named error listing offenders with line numbers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from evaluator.validation import PredictionError, read_predictions
from evaluator.validation.errors import MAX_LISTED

IDS = ["a", "b", "c"]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "out" / "predictions.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str, task: str = "detection", **kw: int) -> PredictionError:
    with pytest.raises(PredictionError) as info:
        read_predictions(task, _write(tmp_path, text), IDS, **kw)
    return info.value


def test_valid_file_is_aligned_to_the_expected_ids(tmp_path: Path) -> None:
    text = '{"id": "c", "score": 1}\n{"id": "a", "score": 0}\n{"id": "b", "score": 0.5}\n'
    got = read_predictions("detection", _write(tmp_path, text), IDS)
    assert got.scores is not None and got.scores.tolist() == [0.0, 0.5, 1.0]
    assert got.lines == [2, 3, 1]


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ('{"id": "a", "score": 0.1}\n{"id": "b", "score": 0.1}\n', "missing_id", None),
        ('{"id": "a", "score": 0.1}\n{"id": "a", "score": 0.1}\n', "duplicate_id", 2),
        ('{"id": "z", "score": 0.1}\n', "unknown_id", 1),
        (
            '{"id": "a", "score": NaN}\n{"id": "b", "score": 1}\n{"id": "c", "score": 1}\n',
            "bad_score",
            1,
        ),
        (
            '{"id": "a", "score": 1.5}\n{"id": "b", "score": 1}\n{"id": "c", "score": 1}\n',
            "bad_score",
            1,
        ),
        (
            '{"id": "a", "score": true}\n{"id": "b", "score": 1}\n{"id": "c", "score": 1}\n',
            "bad_score",
            1,
        ),
        (
            '{"id": "a", "score": "0.5"}\n{"id": "b", "score": 1}\n{"id": "c", "score": 1}\n',
            "bad_score",
            1,
        ),
        ("{not json\n", "bad_json", 1),
        ("[1, 2]\n", "bad_json", 1),
        ('{"id": "a", "score": 0.1}\n\n', "bad_json", 2),
        ('{"id": "a", "score": 0.1, "label": 1}\n', "unknown_field", 1),
        ('{"id": "a"}\n', "bad_line", 1),
        ("", "empty_file", None),
    ],
)
def test_named_errors(tmp_path: Path, text: str, code: str, line: int | None) -> None:
    error = _error(tmp_path, text)
    assert error.code == code
    assert error.offenders[0][0] == line
    assert code in str(error)


def test_lists_the_first_twenty_offenders_and_counts_the_rest(tmp_path: Path) -> None:
    text = "".join(f'{{"id": "x{i}", "score": 0.5}}\n' for i in range(25))
    error = _error(tmp_path, text)
    assert error.code == "unknown_id" and error.total == 25
    assert len(error.offenders) == MAX_LISTED
    assert "line 20: 'x19'" in str(error) and "and 5 more" in str(error)


def test_missing_sample_is_never_filled_in(tmp_path: Path) -> None:
    error = _error(tmp_path, '{"id": "a", "score": 0.5}\n{"id": "b", "score": 0.5}\n')
    assert error.offenders == [(None, "'c'")]


def test_symlinked_predictions_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere.jsonl"
    real.write_text('{"id": "a", "score": 0.5}\n')
    (tmp_path / "out").mkdir()
    os.symlink(real, tmp_path / "out" / "predictions.jsonl")
    with pytest.raises(PredictionError) as info:
        read_predictions("detection", tmp_path / "out" / "predictions.jsonl", IDS)
    assert info.value.code == "symlink"


def test_over_size_file_is_refused(tmp_path: Path) -> None:
    error = _error(tmp_path, '{"id": "a", "score": 0.5}\n' * 10, max_file_bytes=20)
    assert error.code == "file_too_large"


def test_missing_predictions_file(tmp_path: Path) -> None:
    with pytest.raises(PredictionError) as info:
        read_predictions("detection", tmp_path / "nope.jsonl", IDS)
    assert info.value.code == "missing_file"


@pytest.mark.parametrize(
    "mask", ["/etc/passwd", "../x.png", "masks/../../x.png", "", 3, "a\\b.png"]
)
def test_mask_paths_cannot_escape(tmp_path: Path, mask: object) -> None:
    import json

    text = "".join(json.dumps({"id": i, "mask": mask}) + "\n" for i in IDS)
    error = _error(tmp_path, text, task="video_localization")
    assert error.code == "path_escape" and error.total == 3


def test_symlinked_mask_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "m.png").write_bytes(b"x")
    (tmp_path / "out").mkdir()
    os.symlink(tmp_path / "real", tmp_path / "out" / "masks")
    text = "".join(f'{{"id": "{i}", "mask": "masks/m.png"}}\n' for i in IDS)
    error = _error(tmp_path, text, task="video_localization")
    assert error.code == "symlink" and "masks" in str(error)


def test_missing_mask_file(tmp_path: Path) -> None:
    text = "".join(f'{{"id": "{i}", "mask": "masks/{i}.png"}}\n' for i in IDS)
    assert _error(tmp_path, text, task="video_localization").code == "missing_file"


@pytest.mark.parametrize("ranking", [["g1", "g1"], "g1", [1], [f"g{i}" for i in range(101)]])
def test_bad_rankings(tmp_path: Path, ranking: object) -> None:
    import json

    text = "".join(json.dumps({"id": i, "ranking": ranking}) + "\n" for i in IDS)
    assert _error(tmp_path, text, task="retrieval").code == "bad_ranking"


def test_localization_score_is_optional_but_checked(tmp_path: Path) -> None:
    (tmp_path / "out" / "masks").mkdir(parents=True)
    for i in IDS:
        (tmp_path / "out" / "masks" / f"{i}.png").write_bytes(b"x")
    text = (
        '{"id": "a", "mask": "masks/a.png"}\n{"id": "b", "mask": "masks/b.png", "score": 0.2}\n'
        '{"id": "c", "mask": "masks/c.png", "score": -1}\n'
    )
    error = _error(tmp_path, text, task="localization")
    assert error.code == "bad_score" and error.offenders == [(3, "-1")]


def test_one_report_names_every_rule_the_file_breaks(tmp_path: Path) -> None:
    text = (
        '{"id": "b", "score": 2}\n{"id": "a", "score": 0.1}\n'
        '{"id": "a", "score": 0.2}\n{"id": "zz", "score": 0.3}\n'
    )
    error = _error(tmp_path, text)
    assert error.codes[0] == error.code
    assert set(error.codes) == {"bad_score", "duplicate_id", "unknown_id", "missing_id"}
    message = str(error)
    for code in error.codes:
        assert f"prediction error {code}:" in message
    assert "line 1" in message and "line 3" in message and "line 4" in message

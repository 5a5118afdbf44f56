"""A predictions line nested deeper than the parser's recursion limit is the team's bad_json,
not a crash of the score step (which would be an uncounted platform_error)."""

import pytest

from evaluator.validation import PredictionError, read_predictions


def test_predictions_nested_too_deeply_are_the_teams_bad_json(tmp_path) -> None:

    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(PredictionError) as caught:
        read_predictions("detection", predictions, ["a"])
    assert caught.value.code == "bad_json"
    assert "nested too deeply" in str(caught.value)

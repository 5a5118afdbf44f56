from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from evaluator.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _files(tmp_path: Path, write_lines, scores: list[object]) -> list[str]:  # type: ignore[no-untyped-def]
    truth = write_lines(tmp_path / "t.jsonl", [{"id": f"s{i}", "label": i % 2} for i in range(4)])
    preds = write_lines(
        tmp_path / "o" / "p.jsonl", [{"id": f"s{i}", "score": s} for i, s in enumerate(scores)]
    )
    return ["score", "--task", "detection", "--truth", str(truth), "--predictions", str(preds)]


def test_json_output(tmp_path: Path, write_lines, capsys) -> None:  # type: ignore[no-untyped-def]
    args = _files(tmp_path, write_lines, [0.1, 0.9, 0.2, 0.8])
    assert main([*args, "--json", "--resamples", "50"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["auc"] == 1.0 and result["protocol"] == 1 and result["n_resamples"] == 50


def test_table_output(tmp_path: Path, write_lines, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(_files(tmp_path, write_lines, [0.1, 0.9, 0.2, 0.8])) == 0
    out = capsys.readouterr().out
    assert "auc*" in out and "lower is better" in out and "n: samples 4" in out


@pytest.mark.parametrize("bad", [float("nan"), 2, "x"])
def test_bad_input_exits_2_with_the_named_error(tmp_path: Path, write_lines, capsys, bad) -> None:  # type: ignore[no-untyped-def]
    assert main(_files(tmp_path, write_lines, [bad, 0.9, 0.2, 0.8])) == 2
    err = capsys.readouterr().err
    assert "bad_score" in err and "line 1" in err and "Traceback" not in err


def test_unknown_primary_exits_2(tmp_path: Path, write_lines, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([*_files(tmp_path, write_lines, [0.1, 0.9, 0.2, 0.8]), "--primary", "nope"]) == 2
    assert "primary" in capsys.readouterr().err


def test_module_entry_point_never_prints_a_traceback(tmp_path: Path, write_lines) -> None:  # type: ignore[no-untyped-def]
    args = _files(tmp_path, write_lines, [0.1, 0.9, 0.2, 0.8])
    args[args.index("--truth") + 1] = str(tmp_path / "missing.jsonl")
    run = subprocess.run(
        [sys.executable, "-m", "evaluator", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 2 and "missing_file" in run.stderr and "Traceback" not in run.stderr

"""The CLI stands alone: no Django import, and `pip install .` gives the `forgerybench` command."""

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_the_cli_imports_no_django() -> None:
    code = (
        "import sys; import forgerybench_cli.app, forgerybench_cli.upload, "
        "forgerybench_cli.validate; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/")
    assert done.returncode == 0, done.stdout + done.stderr


def _source_copy(folder: Path) -> Path:
    """What `pip install .` reads, copied, so the build leaves nothing in the checkout."""
    source = folder / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("evaluator", "submissions", "benchmarks", "forgerybench_cli"):
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    return source


def test_the_wheel_carries_the_cli_and_its_console_script(tmp_path: Path) -> None:
    # As `pip install .` builds it: in an isolated build environment (setuptools from the
    # package index, then pip's cache), unless setuptools is already importable here.
    isolation = [] if importlib.util.find_spec("setuptools") is None else ["--no-build-isolation"]
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q"]
    built = subprocess.run(
        [*command, "-w", str(tmp_path), str(_source_copy(tmp_path))],
        capture_output=True,
        text=True,
    )
    if built.returncode != 0:
        pytest.fail(built.stdout + built.stderr)
    wheel = next(tmp_path.glob("forgerybench-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    assert "forgerybench = forgerybench_cli.app:main" in scripts
    assert "forgerybench_cli/app.py" in names and "evaluator/runner.py" in names
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
    )
    script = target / "bin" / "forgerybench"
    shown = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, env={"PYTHONPATH": str(target)}
    )
    assert shown.returncode == 0, shown.stderr
    assert "validate" in shown.stdout and "submit" in shown.stdout


def test_score_delegates_to_the_offline_scorer(cli, tmp_path: Path) -> None:
    truth = tmp_path / "truth.jsonl"
    predictions = tmp_path / "predictions.jsonl"
    truth.write_text('{"id": "a", "label": 0}\n{"id": "b", "label": 1}\n')
    predictions.write_text('{"id": "a", "score": 0.2}\n{"id": "b", "score": 0.7}\n')
    args = ["--task", "detection", "--truth", str(truth), "--predictions", str(predictions)]
    result = cli("score", *args, "--json", "--resamples", "50")
    assert result.exit_code == 0, result.output
    assert '"auc": 1.0' in result.output
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "score": 2}\n{"id": "b", "score": 0.7}\n')
    bad = cli("score", "--task", "detection", "--truth", str(truth), "--predictions", str(broken))
    assert bad.exit_code == 2 and "bad_score" in bad.output

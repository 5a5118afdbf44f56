"""The suite's own guard: a session that leaves a thread, a child or descriptors fails."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:django"]


def _pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    """pytest on `folder` with only the leak guard loaded."""
    command = [*PYTEST, "-p", "tests.session_leaks", "--rootdir", str(folder), str(folder)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)


LEAKS = {
    "thread": "import threading, time\n"
    "def test_it():\n    threading.Thread(target=time.sleep, args=(3600,)).start()\n",
    "child": "import multiprocessing, time\n"
    "def test_it():\n"
    "    multiprocessing.get_context('spawn').Process(target=time.sleep, args=(3600,)).start()\n",
    "descriptors": "import os\nKEEP = []\n"
    "def test_it():\n    KEEP.extend(os.open('/dev/null', os.O_RDONLY) for _ in range(500))\n",
}


@pytest.mark.parametrize("leak", sorted(LEAKS))
def test_a_session_that_leaves_something_running_fails_and_ends(leak: str, tmp_path: Path) -> None:
    (tmp_path / "test_leak.py").write_text(LEAKS[leak])
    done = _pytest(tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "session leaks:" in done.stderr
    assert "1 passed" in done.stdout


def test_a_clean_session_passes(tmp_path: Path) -> None:
    (tmp_path / "test_clean.py").write_text("def test_it():\n    assert True\n")
    done = _pytest(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr

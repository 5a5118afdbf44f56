import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "deploy" / "starter-kit"

# The kit is copied into images, not installed here: import it from its folder.
if str(KIT) not in sys.path:
    sys.path.insert(0, str(KIT))


def build_example(name: str) -> str:
    done = subprocess.run(
        [str(KIT / "build_examples.sh")],
        env={"EXAMPLES": name, "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"building example {name} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]

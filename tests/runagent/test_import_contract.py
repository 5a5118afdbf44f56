"""The run agent is Django-free: its code imports no Django and no platform app."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _bare_env() -> dict[str, str]:
    """No Django settings, no database, no secret key: what an agent host has."""
    return {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), "HOME": "/tmp"}


def test_the_import_contracts_hold() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(linter), "--config", str(ROOT / ".importlinter")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "The run agent imports no Django and no platform app KEPT" in done.stdout
    assert "The platform's Django apps talk to no Docker engine" in done.stdout
    # The house is one-way: each layer imports only from the layers below it.
    assert "then the Django-free core KEPT" in " ".join(done.stdout.split())


# An agent host need not have Django at all: block it, then import every agent module.
# (kombu looks for Django optionally and carries on without it.)
NO_DJANGO = """
import importlib.abc, sys

class NoDjango(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "django" or name.startswith("django."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: agents have none)")
        return None

sys.meta_path.insert(0, NoDjango())
import runagent, runagent.celery_app, runagent.job, runagent.client, runagent.inputs
import runagent.output, runagent.config, runagent.__main__, runagent.presence, runagent.reaper
platform = ("submissions", "benchmarks", "runs", "audit", "accounts", "api", "console",
            "leaderboards", "ops", "forgerybench_site", "rest_framework", "django")
loaded = sorted(m for m in sys.modules if m.split(".")[0] in platform)
print("LOADED", loaded)
"""


def test_the_whole_agent_imports_with_django_absent_and_loads_no_platform_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", NO_DJANGO],
        cwd="/",
        env=_bare_env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LOADED []" in done.stdout


def test_the_agent_refuses_to_start_without_its_settings_and_names_the_missing_one() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runagent"],
        cwd="/",
        env=_bare_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "FORGERYBENCH_AGENT_PLATFORM_URL" in done.stderr

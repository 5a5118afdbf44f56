"""The `platform/` folder must never shadow the standard library's `platform` module."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_stdlib_platform_and_uuid_work_with_the_site_on_the_path() -> None:
    code = (
        "import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]];"
        "import platform, uuid; platform.system(); uuid.uuid4();"
        "import forgerybench_site.settings; print(platform.__file__)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "platform"), str(ROOT)],
        capture_output=True,
        text=True,
        env={"SECRET_KEY": "x", "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    assert not completed.stdout.strip().startswith(str(ROOT))


def test_settings_refuse_to_start_without_a_secret_key_unless_debug() -> None:
    completed = subprocess.run(
        [sys.executable, "manage.py", "check"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "0"},
        cwd=ROOT,
    )
    assert completed.returncode != 0
    assert "SECRET_KEY (or SECRET_KEY_FILE) must be set" in completed.stderr


def test_migrations_match_the_models() -> None:
    completed = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "1", "FORGERYBENCH_DATA_DIR": "/tmp/fb-migrations"},
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr

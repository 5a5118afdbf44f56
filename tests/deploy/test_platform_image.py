"""The platform image: built offline (no pulls, no downloads inside the build), and working.

The build itself takes minutes (`deploy/images/platform/build.sh`), so the suite checks the
recipe statically and, where the image has been built, runs it.
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "deploy" / "images" / "platform"
IMAGE = "forgerybench/platform:latest"


def test_the_base_is_a_build_argument_and_nothing_is_fetched_inside_the_build() -> None:
    lines = (RECIPE / "Dockerfile").read_text().splitlines()
    froms = [line for line in lines if line.startswith("FROM")]
    assert froms == ["FROM ${BASE_IMAGE}"]
    assert lines.index(froms[0]) > next(
        i for i, line in enumerate(lines) if line.startswith("ARG BASE_IMAGE=")
    )
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    assert not re.search(r"\b(apt-get|apt|curl|wget)\b", text)
    pip_calls = re.findall(r"pip install.*", text.replace("\\\n", " "))
    assert pip_calls and all("--no-index" in call for call in pip_calls)


def test_the_build_script_is_valid_bash_and_makes_a_staged_context() -> None:
    script = RECIPE / "build.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    text = script.read_text()
    assert "--only-binary=:all:" in text and "--python-version" in text
    assert "git ls-files" in text, "the context holds tracked files only, never var/ or secrets"


@pytest.mark.docker
def test_the_built_image_imports_the_site_and_answers_its_health_command(docker_client) -> None:
    import docker.errors

    try:
        docker_client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        pytest.skip(f"{IMAGE} is not built here (deploy/images/platform/build.sh builds it)")
    output = docker_client.containers.run(
        IMAGE,
        [
            "sh",
            "-c",
            "python manage.py health --check disk && mkfs.ext4 -V 2>&1 | head -1 && "
            "celery --version",
        ],
        environment={
            "DEBUG": "1",
            "FORGERYBENCH_DATA_DIR": "/tmp/data",
            "FORGERYBENCH_HEALTH_MIN_FREE_MB": "1",
        },
        network_mode="none",
        remove=True,
    ).decode()
    assert '"check": "disk", "ok": true' in output
    assert "mke2fs" in output
    assert re.search(r"\d+\.\d+\.\d+", output.splitlines()[-1])

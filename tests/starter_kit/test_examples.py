"""The example submissions, built offline FROM the base images, run as the platform runs them."""

from pathlib import Path

import docker
import docker.errors
import pytest

from evaluator.runner import run_submission_container
from evaluator.scoring import evaluate
from submissions.pipeline import run_limits_for
from tests.starter_kit.conftest import build_example

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _run_on_val(docker_client, track, image: str, tmp_path, key: str) -> dict:
    split = track.splits.get(name="val")
    outcome = run_submission_container(
        docker_client,
        image_id=image,
        inputs_dir=Path(split.inputs_dir),
        run_dir=tmp_path / "run",
        artifacts_dir=tmp_path / "artifacts",
        limits=run_limits_for(track),
        run_key=f"starter-{key}-{tmp_path.name}",
    )
    assert outcome.succeeded, (outcome.message, outcome.log_tail)
    assert "wrote" in outcome.log_tail and "forgerybench-starter" in outcome.log_tail
    return evaluate(
        track.task, split.labels_path, tmp_path / "artifacts" / "predictions.jsonl", seed=0
    ).result


def test_the_numpy_example_makes_a_valid_submission(
    docker_client, base_image, smoke_track, tmp_path
) -> None:
    image = build_example("numpy-detector")
    result = _run_on_val(docker_client, smoke_track, image, tmp_path, "numpy")
    assert 0.0 <= result["auc"] <= 1.0
    assert result["n"]["samples"] == smoke_track.splits.get(name="val").sample_count


def test_the_torch_example_runs_on_the_cpu(docker_client, smoke_track, tmp_path) -> None:
    try:
        docker_client.images.get("forgerybench/base-torch:latest")
    except docker.errors.ImageNotFound:
        pytest.skip(
            "opt-in: EXAMPLES=torch-detector deploy/starter-kit/build_examples.sh builds the "
            "torch base (≈2 min, ≈1.2 GB) once"
        )
    image = build_example("torch-detector")
    result = _run_on_val(docker_client, smoke_track, image, tmp_path, "torch")
    assert 0.0 <= result["auc"] <= 1.0

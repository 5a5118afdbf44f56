"""Helpers shared by tests (fixtures live in conftest.py)."""

import os

import pytest

REQUIRE_SERVICES = os.environ.get("FORGERYBENCH_REQUIRE_SERVICES") == "1"
# The application's less-privileged database role (deploy/scripts/ensure-services.sh makes it).
APP_ROLE = os.environ.get("FORGERYBENCH_DB_APP_ROLE") or "forgerybench_app"
APP_PASSWORD = os.environ.get("FORGERYBENCH_PG_APP_PASSWORD") or "forgerybench_app"


def unavailable(reason: str) -> None:
    """Skip when a real service is missing, or fail under `make test`, which provides them all."""
    if REQUIRE_SERVICES:
        pytest.fail(reason)
    pytest.skip(reason)


def finished_result(*, track, split, team, method: str, metrics: dict, primary_value):  # type: ignore[no-untyped-def]
    """A finished submission with one Result and a complete provenance record, as the score
    step writes them (leaderboards show nothing without provenance)."""
    from django.utils import timezone

    from submissions.models import Provenance, Result, Status, Submission

    submission = Submission.objects.filter(team=team, track=track, method_name=method).first()
    if submission is None:
        submission = Submission.objects.create(
            team=team,
            track=track,
            method_name=method,
            training_data="other: test data",
            image_id="sha256:" + "a" * 64,
            status=Status.FINISHED,
        )
    result = Result.objects.create(
        submission=submission,
        split=split,
        metrics=metrics,
        primary_value=primary_value,
        protocol_version=1,
        evaluator_version="test",
    )
    Provenance.objects.create(
        result=result,
        image_id=submission.image_id,
        method_name=method,
        training_data=submission.training_data,
        split=split,
        manifest_sha256=split.inputs_sha256,
        labels_sha256=split.labels_sha256,
        sample_count=split.sample_count,
        protocol_version=1,
        evaluator_version="test",
        bootstrap_seed=0,
        worker_host="test",
        predictions_path="-",
        predictions_sha256="0" * 64,
        predictions_size=0,
        metrics_sha256="0" * 64,
        complete=True,
        created_at=timezone.now(),
    )
    return result


def image_tarball(  # type: ignore[no-untyped-def]
    path,
    *,
    tags=(),
    config=None,
    images: int = 1,
    repositories: bool = True,
):
    """Write a minimal `docker save` tarball (legacy layout, one tiny layer per image) that
    `docker load` accepts. `tags` go into manifest.json's RepoTags and, with `repositories`,
    into the legacy `repositories` file; `config` is merged into the image's container config.
    Each call makes new image IDs (a random nonce). Returns the image IDs (sha256:...)."""
    import hashlib
    import io
    import json
    import secrets
    import tarfile

    def add(tar, name: str, data: bytes) -> None:  # type: ignore[no-untyped-def]
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    manifest: list[dict] = []
    ids: list[str] = []
    legacy: dict[str, dict[str, str]] = {}
    with tarfile.open(path, "w") as tar:
        for _ in range(images):
            layer_buffer = io.BytesIO()
            with tarfile.open(fileobj=layer_buffer, mode="w") as layer:
                add(layer, "hello.txt", secrets.token_hex(16).encode())
            layer_bytes = layer_buffer.getvalue()
            diff_id = hashlib.sha256(layer_bytes).hexdigest()
            container_config = {"Entrypoint": ["/hello"], "Env": ["PATH=/usr/bin:/bin"]}
            container_config.update(config or {})
            document = {
                "architecture": "amd64",
                "os": "linux",
                "created": "2026-01-01T00:00:00Z",
                "config": container_config,
                "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
                "history": [{"created": "2026-01-01T00:00:00Z", "created_by": "test"}],
            }
            config_bytes = json.dumps(document).encode()
            image_hex = hashlib.sha256(config_bytes).hexdigest()
            add(tar, f"{diff_id}/layer.tar", layer_bytes)
            add(tar, f"{diff_id}/VERSION", b"1.0")
            add(tar, f"{diff_id}/json", json.dumps({"id": diff_id}).encode())
            add(tar, f"{image_hex}.json", config_bytes)
            manifest.append(
                {
                    "Config": f"{image_hex}.json",
                    "RepoTags": list(tags),
                    "Layers": [f"{diff_id}/layer.tar"],
                }
            )
            ids.append(f"sha256:{image_hex}")
            for tag in tags:
                repo, _, name = tag.rpartition(":")
                legacy.setdefault(repo, {})[name] = diff_id
        add(tar, "manifest.json", json.dumps(manifest).encode())
        if repositories and legacy:
            add(tar, "repositories", json.dumps(legacy).encode())
    return ids


def platform_image_names(client):  # type: ignore[no-untyped-def]
    """Every name the platform finds an image by: the base images, each baseline, the
    platform image, and every tag of theirs the engine holds now."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    names = {
        "forgerybench/base:latest",
        "forgerybench/base-torch:latest",
        "forgerybench/platform:latest",
    }
    for folder in (root / "deploy" / "images" / "baselines").iterdir():
        if folder.is_dir() and not folder.name.startswith("_"):
            names.add(f"forgerybench/baseline-{folder.name}:latest")
    for image in client.images.list(name="forgerybench/*"):
        names.update(image.tags)
    return sorted(names)


def results_of(submission):  # type: ignore[no-untyped-def]
    """A submission's Results by split name (``results_of(s).test``)."""
    from types import SimpleNamespace

    from submissions.models import Result

    by_split = {
        r.split.name: r
        for r in Result.objects.filter(submission=submission).select_related("split")
    }
    return SimpleNamespace(**by_split)

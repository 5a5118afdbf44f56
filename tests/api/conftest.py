"""Fixtures for the API tests: tokens for the three users, a small real image tarball."""

import hashlib
from collections.abc import Callable
from pathlib import Path

import docker
import pytest
from rest_framework.test import APIClient

SCRATCH_TAG = "forgerybench-test/api-scratch:latest"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.fixture
def token_for() -> Callable:
    from api.tokens import token_create

    def make(user) -> str:  # type: ignore[no-untyped-def]
        return token_create(user=user, name="tests")[1]

    return make


@pytest.fixture
def client_for(token_for: Callable) -> Callable[..., APIClient]:
    def make(user=None) -> APIClient:  # type: ignore[no-untyped-def]
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
        return client

    return make


@pytest.fixture(scope="session")
def scratch_tarball(
    docker_client: docker.DockerClient, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A real `docker save` tarball of a ~3 MB image built FROM scratch (nothing pulled)."""
    context = tmp_path_factory.mktemp("scratch-image")
    (context / "blob").write_bytes(hashlib.sha256(b"seed").digest() * (3_000_000 // 32))
    (context / "Dockerfile").write_text('FROM scratch\nCOPY blob /blob\nCMD ["/blob"]\n')
    docker_client.images.build(path=str(context), tag=SCRATCH_TAG, pull=False, rm=True)
    tarball = context / "image.tar"
    with tarball.open("wb") as handle:
        for chunk in docker_client.images.get(SCRATCH_TAG).save(named=True):
            handle.write(chunk)
    return tarball

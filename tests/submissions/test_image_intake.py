"""Image intake: the tarball is checked without an engine and kept, untagged, in the image
store; the agent's loader strips tags again, so no upload can touch a platform tag."""

import contextlib
import gzip
import hashlib
import io
import json
import shutil
from pathlib import Path

import docker
import docker.errors
import pytest
from django.test import Client
from rest_framework.test import APIClient

from api.tokens import token_create
from evaluator.image_tarball import ImageLimits, TarballImage
from runagent.images import engine_image_problem, image_load_checked
from submissions.images import (
    SUBMISSION_REPOSITORY,
    ImageIntakeError,
    image_store_dir,
    image_tarball_inspect,
    image_tarball_stage,
)
from submissions.models import Submission
from tests.image_tarballs import layer_tar, write_image
from tests.support import image_tarball, platform_image_names

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _tag_target(client: docker.DockerClient, name: str) -> str | None:
    try:
        return client.images.get(name).id
    except docker.errors.ImageNotFound:
        return None


def store_files() -> set[str]:
    """Every name in the image store (temporary files included)."""
    folder = image_store_dir()
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def intake_then_load(client: docker.DockerClient, path: Path) -> docker.models.images.Image:
    """What an upload goes through: intake into the store, then the agent's checked load of
    the store's copy. Returns the image in the engine."""
    with image_tarball_stage(path=path) as staged:
        staged.publish()
    image_load_checked(client, path=staged.target, image_id=staged.image_id)
    return client.images.get(staged.image_id)


@pytest.fixture
def loaded(docker_client):  # type: ignore[no-untyped-def]
    """Image IDs a test loads; removed afterwards (only the platform's name for them)."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        tag = f"{SUBMISSION_REPOSITORY}:{image_id.removeprefix('sha256:')}"
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(tag, noprune=False)


def test_a_tarball_tagged_as_any_platform_image_moves_no_tag(
    docker_client, tmp_path, loaded
) -> None:
    names = platform_image_names(docker_client)
    assert "forgerybench/baseline-sanity:latest" in names

    def planted() -> list[str]:
        """Platform names that now lead to an image a test tarball carried. (Compared by
        what they lead to, not before/after: other builds may retag on this shared engine.)"""
        return [name for name in names if _tag_target(docker_client, name) in loaded]

    for number, name in enumerate(names):
        path = tmp_path / f"plant-{number}.tar"
        (image_id,) = image_tarball(path, tags=[name])
        image = intake_then_load(docker_client, path)
        loaded.append(image_id)
        assert image.id == image_id
        assert image.tags == [f"{SUBMISSION_REPOSITORY}:{image_id.removeprefix('sha256:')}"]
        assert planted() == []
    # All names at once, gzip-compressed, legacy `repositories` file included.
    path = tmp_path / "all.tar"
    (image_id,) = image_tarball(path, tags=names)
    with path.open("rb") as raw, gzip.open(tmp_path / "all.tar.gz", "wb") as packed:
        shutil.copyfileobj(raw, packed)
    image = intake_then_load(docker_client, tmp_path / "all.tar.gz")
    loaded.append(image_id)
    assert image.id == image_id
    assert planted() == []
    # The agent strips tags itself: the team's own tarball, never through intake, moves none.
    path = tmp_path / "direct.tar"
    (image_id,) = image_tarball(path, tags=names)
    image_load_checked(docker_client, path=path, image_id=image_id)
    loaded.append(image_id)
    assert docker_client.images.get(image_id).tags == [
        f"{SUBMISSION_REPOSITORY}:{image_id.removeprefix('sha256:')}"
    ]
    assert planted() == []


@pytest.mark.parametrize(
    ("config", "images", "code"),
    [
        ({"Volumes": {"/scratch": {}}}, 1, "declared_volume"),
        ({"Labels": {"org.forgerybench.submission": "1"}}, 1, "reserved_label"),
        ({"Entrypoint": None, "Cmd": None}, 1, "no_entrypoint"),
        ({}, 2, "image_count"),
    ],
)
def test_configs_the_runner_cannot_neutralise_are_refused_before_loading(
    docker_client, tmp_path, config, images, code
) -> None:
    path = tmp_path / "image.tar"
    ids = image_tarball(
        path, tags=["forgerybench/baseline-sanity:latest"], config=config, images=images
    )
    sanity = _tag_target(docker_client, "forgerybench/baseline-sanity:latest")
    stored = store_files()
    with pytest.raises(ImageIntakeError) as refused, image_tarball_stage(path=path):
        pass
    assert refused.value.code == code
    assert store_files() == stored  # nothing reached the store
    with pytest.raises(ImageIntakeError) as refused_by_agent:
        image_load_checked(docker_client, path=path, image_id=ids[0])
    assert refused_by_agent.value.code == code
    for image_id in ids:  # nothing reached the engine
        with pytest.raises(docker.errors.ImageNotFound):
            docker_client.images.get(image_id)
    assert _tag_target(docker_client, "forgerybench/baseline-sanity:latest") == sanity


def test_inspect_reads_manifest_and_config_without_the_engine(tmp_path) -> None:
    path = tmp_path / "image.tar"
    (image_id,) = image_tarball(path, tags=["team/model:v1"])
    inspected = image_tarball_inspect(path=path)
    assert inspected.image_id == image_id
    assert inspected.declared_tags == ["team/model:v1"]
    (tmp_path / "junk.tar").write_bytes(b"not a tar" * 100)
    with pytest.raises(ImageIntakeError) as refused:
        image_tarball_inspect(path=tmp_path / "junk.tar")
    assert refused.value.code == "not_an_image"


def _api_submit(user, data: bytes):  # type: ignore[no-untyped-def]
    """Upload `data` through the API's resumable upload and submit it; the final response."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=user, name='t')[1]}")
    upload = api.post(
        "/api/v1/uploads/",
        {
            "track": "smoke-detect/image",
            "method_name": "Crafted",
            "training_data": "other: none",
            "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        },
        format="json",
    ).json()
    patched = api.generic(
        "PATCH",
        f"/api/v1/uploads/{upload['id']}/",
        data,
        content_type="application/octet-stream",
        HTTP_UPLOAD_OFFSET="0",
    )
    assert patched.json()["state"] == "complete", patched.json()
    return api.post("/api/v1/submissions/", {"upload": upload["id"]}, format="json")


def test_the_api_upload_names_the_refusal_and_keeps_tags(
    people, smoke_track, docker_client, tmp_path
) -> None:
    path = tmp_path / "volume.tar"
    image_tarball(path, tags=["forgerybench/base:latest"], config={"Volumes": {"/scratch": {}}})
    base = _tag_target(docker_client, "forgerybench/base:latest")
    stored = store_files()
    refused = _api_submit(people.owner, path.read_bytes())
    body = refused.json()
    assert refused.status_code == 422 and body["code"] == "image_rejected"
    assert body["reason"] == "declared_volume" and "VOLUME /scratch" in body["message"]
    assert Submission.objects.count() == 0
    assert store_files() == stored
    assert _tag_target(docker_client, "forgerybench/base:latest") == base


@pytest.fixture
def new_uploads(settings):  # type: ignore[no-untyped-def]
    """new_uploads() -> files the form's upload handler wrote since the test began (the API's
    resumable sessions live in a folder of their own)."""
    folder = Path(settings.FORGERYBENCH_UPLOAD_DIR)

    def files() -> set[Path]:
        return {p for p in folder.glob("*") if p.is_file()} if folder.exists() else set()

    before = files()
    return lambda: sorted(files() - before)


def test_file_parts_to_the_login_page_leave_nothing_on_disk(db, new_uploads) -> None:
    """Anyone could POST file parts to /login/ with a self-set CSRF cookie: refused (403), and
    nothing of them stays in uploads/."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "a" * 32
    big = b"x" * (2 * 1024 * 1024)
    response = client.post(
        "/login/",
        {"username": "x", "password": "y", "file": io.BytesIO(big), "image": io.BytesIO(big)},
    )
    assert response.status_code == 403
    assert new_uploads() == []


def test_file_parts_outside_the_upload_form_are_never_written(people, new_uploads) -> None:
    client = Client()
    client.force_login(people.owner)
    # A page that takes no files, an API endpoint, a wrong field name on the upload form.
    client.post("/login/", {"file": io.BytesIO(b"x" * 100_000)})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_create(user=people.owner, name='t')[1]}")
    api.post("/api/v1/uploads/", {"image": io.BytesIO(b"x" * 100_000)}, format="multipart")
    client.post("/submissions/new/", {"other": io.BytesIO(b"x" * 100_000)})
    # Not signed in: redirected to the login page, and the file is gone too.
    Client().post("/submissions/new/", {"image": io.BytesIO(b"x" * 100_000)})
    assert new_uploads() == []


def test_a_refused_form_upload_leaves_nothing_on_disk(people, smoke_track, new_uploads) -> None:
    client = Client()
    client.force_login(people.owner)
    image = io.BytesIO(b"x" * 100_000)
    image.name = "model.tar"
    response = client.post(
        "/submissions/new/",
        {"track": smoke_track.pk, "team": people.team.pk, "method_name": "", "image": image},
    )
    assert response.status_code == 400
    assert new_uploads() == []


def _config_swapping_tarball(path: Path) -> tuple[str, str]:
    """A tarball whose manifest names config A, while a second member the engine writes over
    the same file (`x/../A.json`) holds config B: inspection reads A, the engine loads B."""
    import json
    import secrets
    import tarfile

    def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as layer:
        add(layer, "hello.txt", secrets.token_hex(16).encode())
    layer_bytes = buffer.getvalue()
    diff_id = hashlib.sha256(layer_bytes).hexdigest()

    def config(created: str) -> bytes:
        return json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "created": created,
                "config": {"Entrypoint": ["/hello"]},
                "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]},
                "history": [{"created": created, "created_by": "test"}],
            }
        ).encode()

    shown, loaded = config("2026-01-01T00:00:00Z"), config("2026-01-02T00:00:00Z")
    shown_hex = hashlib.sha256(shown).hexdigest()
    with tarfile.open(path, "w") as tar:
        add(tar, f"{diff_id}/layer.tar", layer_bytes)
        add(tar, f"{shown_hex}.json", shown)
        add(tar, f"x/../{shown_hex}.json", loaded)
        manifest = [{"Config": f"{shown_hex}.json", "Layers": [f"{diff_id}/layer.tar"]}]
        add(tar, "manifest.json", json.dumps(manifest).encode())
    return f"sha256:{shown_hex}", f"sha256:{hashlib.sha256(loaded).hexdigest()}"


def test_a_member_written_over_another_is_refused_by_intake_and_agent(
    docker_client, tmp_path
) -> None:
    """`x/../A.json` would land on A.json in an engine while a reader sees the first A.json:
    refused by name, before any store or engine sees it."""
    path = tmp_path / "swap.tar"
    shown, loaded = _config_swapping_tarball(path)
    stored = store_files()
    try:
        with pytest.raises(ImageIntakeError) as refused, image_tarball_stage(path=path):
            pass
        assert refused.value.code == "bad_member_name"
        assert store_files() == stored
        with pytest.raises(ImageIntakeError) as refused_by_agent:
            image_load_checked(docker_client, path=path, image_id=shown)
        assert refused_by_agent.value.code == "bad_member_name"
        for image_id in (shown, loaded):  # neither image a reader or an engine would take
            with pytest.raises(docker.errors.ImageNotFound):
                docker_client.images.get(image_id)
    finally:
        with contextlib.suppress(docker.errors.APIError):
            docker_client.images.remove(loaded, force=True)


@pytest.mark.parametrize(
    ("crafted", "code"),
    [
        # a case-variant key the engine reads (the review's B3)
        (
            {"manifest": lambda e: json.dumps(e)[:-1] + ', "repotags": ["victim:latest"]}'},
            "ambiguous_key",
        ),
        ({"layers": [layer_tar(sparse="pax")]}, "sparse_member"),  # B4
        # 8 MiB of zeros in a 10 KB gzip: past the 1 MiB limit set below (B5)
        (
            {"layers": [layer_tar({"zeros": bytes(8 * 1024**2)})], "compress": gzip.compress},
            "image_too_large",
        ),
    ],
    ids=["case-variant-key", "sparse-member", "gzip-bomb"],
)
def test_a_crafted_upload_is_the_teams_named_refusal_and_leaves_nothing(
    people, smoke_track, tmp_path, settings, crafted, code
) -> None:
    settings.FORGERYBENCH_IMAGE_MAX_BYTES = 1024**2
    path = tmp_path / "crafted.tar"
    write_image(path, **crafted)
    stored = store_files()
    refused = _api_submit(people.owner, path.read_bytes())
    body = refused.json()
    assert refused.status_code == 422 and body["code"] == "image_rejected", body
    assert body["reason"] == code, body
    assert Submission.objects.count() == 0
    assert store_files() == stored  # no partial copy left behind


def test_the_agent_refuses_a_sparse_layer_before_the_engine_sees_it(
    docker_client, tmp_path
) -> None:
    """A store copy with a sparse layer (a store written by hand, not by intake): the agent's
    stream stops before that member, and nothing of it stays in the engine."""
    path = tmp_path / "sparse.tar"
    image_id = write_image(path, layers=[layer_tar(sparse="pax")])
    with pytest.raises(ImageIntakeError) as refused:
        image_load_checked(docker_client, path=path, image_id=image_id)
    assert refused.value.code == "sparse_member"
    with pytest.raises(docker.errors.ImageNotFound):  # nothing of it reached the engine
        docker_client.images.get(image_id)
    path = tmp_path / "big.tar"
    image_id = write_image(path, layers=[layer_tar({"big": bytes(64 * 1024)})])
    with pytest.raises(ImageIntakeError) as refused:
        image_load_checked(
            docker_client,
            path=path,
            image_id=image_id,
            limits=ImageLimits(max_unpacked_bytes=32 * 1024),
        )
    assert refused.value.code == "image_too_large"
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(image_id)


def test_an_engine_that_reads_the_config_otherwise_has_its_image_refused(
    docker_client, tmp_path
) -> None:
    """The agent's last check: what the engine shows after a load must be what the checks
    read. Loaded here without the checks (standing in for a parser difference not yet
    known), an image whose engine view holds a volume and a platform label is refused."""
    path = tmp_path / "image.tar"
    image_id = write_image(
        path, config={"Volumes": {"/scratch": {}}, "Labels": {"org.forgerybench.job": "1"}}
    )
    with path.open("rb") as handle:
        docker_client.images.load(handle.read())
    try:
        checked = TarballImage(image_id=image_id, config={"Entrypoint": ["/hello"]})
        problem = engine_image_problem(docker_client, image_id, checked)
        assert problem is not None and problem.code == "engine_mismatch"
        assert "/scratch" in str(problem) and "org.forgerybench.job" in str(problem)
        same = TarballImage(image_id=image_id, config={"Labels": {"org.forgerybench.job": "1"}})
        assert engine_image_problem(docker_client, image_id, same) is not None  # the volume
    finally:
        docker_client.images.remove(image_id, force=True)

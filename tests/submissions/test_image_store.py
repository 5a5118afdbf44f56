"""The image store: what intake keeps (untagged, by image ID), reuses, and never keeps."""

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from django.test import Client

from evaluator.image_tarball import image_tarball_inspect
from submissions.images import ImageIntakeError, image_store_dir, image_tarball_stage
from submissions.models import Submission
from submissions.services import SubmissionRejected, submission_create_from_tarball
from tests.support import image_tarball

pytestmark = [pytest.mark.django_db]

NOWHERE = "tcp://127.0.0.1:9"  # no Docker engine answers there


def store_files() -> set[str]:
    folder = image_store_dir()
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _submit(people, track, path: Path) -> Submission:  # type: ignore[no-untyped-def]
    data = path.read_bytes()
    upload = path.with_suffix(".upload")
    upload.write_bytes(data)  # intake consumes (removes) the file it is given
    return submission_create_from_tarball(
        team=people.team,
        track=track,
        user=people.owner,
        tarball_path=upload,
        tarball_sha256=hashlib.sha256(data).hexdigest(),
        tarball_size=len(data),
        method_name="stored",
        training_data="other: none",
    )


def test_a_form_upload_is_accepted_with_no_engine_and_kept_untagged_by_its_id(
    people, smoke_track, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)  # the web process holds no engine socket
    before = store_files()
    path = tmp_path / "image.tar"
    (image_id,) = image_tarball(path, tags=["forgerybench/baseline-sanity:latest", "me/x:1"])
    upload = io.BytesIO(path.read_bytes())
    upload.name = "image.tar"
    client = Client()
    client.force_login(people.owner)
    response = client.post(
        "/submissions/new/",
        {
            "track": smoke_track.pk,
            "team": people.team.pk,
            "method_name": "No engine",
            "training_data": "other: none",
            "image": upload,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    submission = Submission.objects.get()
    assert submission.image_id == image_id
    assert submission.image_reference == f"forgerybench-submission:{image_id[7:]}"
    assert store_files() - before == {f"{image_id[7:]}.tar"}
    stored = image_store_dir() / f"{image_id[7:]}.tar"
    assert image_tarball_inspect(path=stored).image_id == image_id
    with tarfile.open(stored) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    assert "repositories" not in names
    assert set(manifest[0]) == {"Config", "Layers"}  # rebuilt: no spelling of a tag survives


def test_the_same_image_uploaded_twice_is_stored_once(people, smoke_track, tmp_path) -> None:
    path = tmp_path / "image.tar"
    (image_id,) = image_tarball(path, tags=["me/x:1"])
    before = store_files()
    first = _submit(people, smoke_track, path)
    stored = image_store_dir() / f"{image_id[7:]}.tar"
    inode = os.stat(stored).st_ino
    second = _submit(people, smoke_track, path)
    assert first.image_id == second.image_id == image_id
    assert store_files() - before == {stored.name}
    assert os.stat(stored).st_ino == inode, "the valid copy was reused, not rewritten"


def test_a_damaged_store_copy_is_replaced_by_the_next_upload(people, smoke_track, tmp_path) -> None:
    path = tmp_path / "image.tar"
    (image_id,) = image_tarball(path)
    _submit(people, smoke_track, path)
    stored = image_store_dir() / f"{image_id[7:]}.tar"
    stored.write_bytes(b"damaged")
    _submit(people, smoke_track, path)
    assert image_tarball_inspect(path=stored).image_id == image_id


def test_an_upload_refused_after_its_check_leaves_nothing_in_the_store(
    people, smoke_track, tmp_path
) -> None:
    smoke_track.total_submission_limit = 0
    smoke_track.save()
    before = store_files()
    path = tmp_path / "image.tar"
    image_tarball(path)
    with pytest.raises(SubmissionRejected, match="quota reached"):
        _submit(people, smoke_track, path)
    assert store_files() == before
    assert Submission.objects.count() == 0


def _rewritten(source: Path, target: Path, change) -> None:  # type: ignore[no-untyped-def]
    """Copy a tarball, passing each regular member's bytes through change(name, data)."""
    with tarfile.open(source) as tar_in, tarfile.open(target, "w") as tar_out:
        for member in tar_in.getmembers():
            if member.isreg():
                data = change(member.name, tar_in.extractfile(member).read())  # type: ignore[union-attr]
                member.size = len(data)
                tar_out.addfile(member, io.BytesIO(data))
            else:
                tar_out.addfile(member)


def test_a_layer_the_config_does_not_pin_is_refused_before_the_store(tmp_path) -> None:
    path = tmp_path / "image.tar"
    image_tarball(path)
    bad = tmp_path / "bad-layer.tar"

    def swap_layer(name: str, data: bytes) -> bytes:
        if not name.endswith("layer.tar"):
            return data
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as layer:
            info = tarfile.TarInfo("other.txt")
            layer.addfile(info, io.BytesIO(b""))
        return buffer.getvalue()

    _rewritten(path, bad, swap_layer)
    before = store_files()
    with pytest.raises(ImageIntakeError) as refused, image_tarball_stage(path=bad):
        pass
    assert refused.value.code == "layer_mismatch"
    assert store_files() == before


def test_a_config_that_is_not_what_its_name_says_is_refused(tmp_path) -> None:
    path = tmp_path / "image.tar"
    image_tarball(path)
    bad = tmp_path / "bad-config.tar"
    _rewritten(
        path,
        bad,
        lambda name, data: data.replace(b"/hello", b"/other") if name.endswith(".json") else data,
    )
    with pytest.raises(ImageIntakeError) as refused:
        image_tarball_inspect(path=bad)
    assert refused.value.code == "image_mismatch"

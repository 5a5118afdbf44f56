"""Uploading a `docker save` tarball through the page."""

import io
import tarfile

import pytest
from django.test import Client, override_settings

from submissions.models import Submission

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _form(track, upload) -> dict:
    return {
        "track": track.pk,
        "method_name": "My detector",
        "training_data": "other: my data",
        "image": upload,
    }


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_file_that_is_not_an_image_gets_a_clear_error_and_leaves_no_row(
    people, smoke_track, docker_client
) -> None:
    upload = io.BytesIO(b"this is not a tarball at all" * 100)
    upload.name = "model.tar"
    response = _logged_in(people.owner).post(
        "/submissions/new/", {**_form(smoke_track, upload), "team": people.team.pk}
    )
    assert response.status_code == 400
    assert "not a loadable `docker save` image tarball" in response.content.decode()
    assert Submission.objects.count() == 0


def test_a_tar_without_an_image_manifest_is_refused(people, smoke_track, docker_client) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        data = b"hello"
        info = tarfile.TarInfo("readme.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    buffer.name = "model.tar"
    response = _logged_in(people.owner).post(
        "/submissions/new/", {**_form(smoke_track, buffer), "team": people.team.pk}
    )
    assert response.status_code == 400
    assert Submission.objects.count() == 0


@override_settings(FORGERYBENCH_MAX_UPLOAD_BYTES=10_000)
def test_an_upload_over_the_limit_is_dropped(people, smoke_track, settings) -> None:
    upload = io.BytesIO(b"x" * 50_000)
    upload.name = "big.tar"
    response = _logged_in(people.owner).post(
        "/submissions/new/", {**_form(smoke_track, upload), "team": people.team.pk}
    )
    assert response.status_code == 400
    assert "larger than the 10,000-byte upload limit" in response.content.decode()
    assert Submission.objects.count() == 0
    assert list(settings.FORGERYBENCH_UPLOAD_DIR.glob("*.upload")) == []


def test_an_outsider_cannot_submit_for_a_team(people, smoke_track) -> None:
    upload = io.BytesIO(b"x")
    upload.name = "a.tar"
    response = _logged_in(people.outsider).post(
        "/submissions/new/", {**_form(smoke_track, upload), "team": people.team.pk}
    )
    assert response.status_code == 400
    assert Submission.objects.count() == 0


def test_the_upload_page_needs_a_login(db) -> None:
    response = Client().get("/submissions/new/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]

"""Resumable uploads over real HTTP (live server + requests), finished into a submission."""

import hashlib
import time
from pathlib import Path

import pytest
import requests
from django.test import override_settings

from api.models import UploadSession
from submissions.models import Submission
from tests.api.conftest import sha256_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


class DroppingBody:
    """A request body that stops after `limit` bytes by breaking the connection."""

    def __init__(self, data: bytes, limit: int):
        self.data, self.limit, self.sent = data, limit, 0

    def __len__(self) -> int:
        return len(self.data)

    def read(self, size: int = -1) -> bytes:
        if self.sent >= self.limit:
            raise ConnectionAbortedError("network cable pulled")
        block = self.data[self.sent : min(self.sent + max(size, 1), self.limit)]
        self.sent += len(block)
        return block


def _session(live_server, token: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    return http, live_server.url + "/api/v1"


def _start(http, base, size: int, sha256: str, **extra) -> requests.Response:
    body = {
        "track": "smoke-detect/image",
        "method_name": "Scratch",
        "training_data": "other: none",
        "size": size,
        "sha256": sha256,
        **extra,
    }
    return http.post(f"{base}/uploads/", json=body)


def _patch(http, base, upload_id, offset: int, data) -> requests.Response:
    return http.patch(
        f"{base}/uploads/{upload_id}/",
        data=data,
        headers={
            "Content-Type": "application/octet-stream",
            "Upload-Offset": str(offset),
        },
    )


def test_an_interrupted_upload_resumes_and_becomes_one_submission(
    live_server, people, smoke_track, token_for, scratch_tarball: Path
) -> None:
    http, base = _session(live_server, token_for(people.owner))
    data = scratch_tarball.read_bytes()
    created = _start(http, base, len(data), sha256_of(scratch_tarball))
    assert created.status_code == 201, created.text
    upload = created.json()
    assert upload["offset"] == 0 and upload["state"] == "receiving"

    # The connection breaks a third of the way through the first request.
    with pytest.raises(requests.ConnectionError):
        _patch(http, base, upload["id"], 0, DroppingBody(data, len(data) // 3))
    # The server notices the broken connection on its own schedule: ask until it has.
    deadline = time.monotonic() + 20
    offset = 0
    while offset == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        offset = http.get(f"{base}/uploads/{upload['id']}/").json()["offset"]
    assert 0 < offset <= len(data) // 3, "the bytes that arrived are kept"
    time.sleep(0.5)  # let that request finish and release the upload's lock
    assert upload_bytes(upload["id"]) == data[:offset]

    # Sending at a wrong offset is refused with the right one.
    wrong = _patch(http, base, upload["id"], 0, data[:10])
    assert wrong.status_code == 409
    assert wrong.json() == {**wrong.json(), "code": "offset_mismatch", "offset": offset}

    # Resume in two chunks.
    middle = offset + (len(data) - offset) // 2
    first = _patch(http, base, upload["id"], offset, data[offset:middle])
    assert first.status_code == 200 and first.json()["offset"] == middle
    last = _patch(http, base, upload["id"], middle, data[middle:])
    assert last.status_code == 200, last.text
    assert last.json()["state"] == "complete"

    key = {"Idempotency-Key": "7b0c5a2e-retry-me"}
    made = http.post(f"{base}/submissions/", json={"upload": upload["id"]}, headers=key)
    assert made.status_code == 201, made.text
    again = http.post(f"{base}/submissions/", json={"upload": upload["id"]}, headers=key)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == made.json()["id"]
    # The same upload with no key (or another key) is still the same submission.
    plain = http.post(f"{base}/submissions/", json={"upload": upload["id"]})
    assert plain.json()["id"] == made.json()["id"]
    submission = Submission.objects.get()
    assert submission.tarball_sha256 == sha256_of(scratch_tarball)
    assert submission.tarball_size == len(data)
    # Queued, or already taken by the suite's worker when one runs: never failed or doubled.
    assert submission.status in {"queued", "running", "scoring", "finished"}
    assert not upload_path(upload["id"]).exists(), "the tarball is deleted once loaded"


def upload_path(upload_id: str) -> Path:
    from api.uploads import upload_path as path_of

    return path_of(UploadSession.objects.get(pk=upload_id))


def upload_bytes(upload_id: str) -> bytes:
    return upload_path(upload_id).read_bytes()


def test_an_idempotency_key_reused_for_another_upload_is_refused(
    live_server, people, smoke_track, token_for, scratch_tarball: Path
) -> None:
    http, base = _session(live_server, token_for(people.owner))
    data = scratch_tarball.read_bytes()
    ids = []
    for _ in range(2):
        upload = _start(http, base, len(data), sha256_of(scratch_tarball)).json()
        assert _patch(http, base, upload["id"], 0, data).json()["state"] == "complete"
        ids.append(upload["id"])
    key = {"Idempotency-Key": "same-key"}
    assert http.post(f"{base}/submissions/", json={"upload": ids[0]}, headers=key).ok
    reused = http.post(f"{base}/submissions/", json={"upload": ids[1]}, headers=key)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Submission.objects.count() == 1
    assert UploadSession.objects.get(pk=ids[1]).state == "complete", "nothing was lost"


def test_a_corrupted_upload_is_named_and_deleted(
    live_server, people, smoke_track, token_for, scratch_tarball
) -> None:
    http, base = _session(live_server, token_for(people.owner))
    data = scratch_tarball.read_bytes()
    upload = _start(http, base, len(data), hashlib.sha256(b"other").hexdigest()).json()
    response = _patch(http, base, upload["id"], 0, data)
    assert response.status_code == 422
    assert response.json()["code"] == "sha256_mismatch"
    assert not upload_path(upload["id"]).exists()
    refused = http.post(f"{base}/submissions/", json={"upload": upload["id"]})
    assert refused.status_code == 409 and refused.json()["code"] == "sha256_mismatch"
    assert Submission.objects.count() == 0


def test_bytes_that_are_not_a_tarball_are_stopped_early(
    live_server, people, smoke_track, token_for
) -> None:
    http, base = _session(live_server, token_for(people.owner))
    data = b"MZ" + b"\0" * 100_000
    upload = _start(http, base, len(data), hashlib.sha256(data).hexdigest()).json()
    response = _patch(http, base, upload["id"], 0, data[:1000])
    assert response.status_code == 422 and response.json()["code"] == "not_a_tarball"


def test_a_tarball_that_is_no_image_is_rejected_with_the_reason(
    live_server, people, smoke_track, token_for, tmp_path
) -> None:
    import tarfile

    path = tmp_path / "notes.tar"
    with tarfile.open(path, "w") as archive:
        readme = tmp_path / "readme.txt"
        readme.write_text("hello " * 1000)
        archive.add(readme, arcname="readme.txt")
    data = path.read_bytes()
    http, base = _session(live_server, token_for(people.owner))
    upload = _start(http, base, len(data), sha256_of(path)).json()
    assert _patch(http, base, upload["id"], 0, data).json()["state"] == "complete"
    refused = http.post(f"{base}/submissions/", json={"upload": upload["id"]})
    assert refused.status_code == 422 and refused.json()["code"] == "image_rejected"
    assert "docker save" in refused.json()["message"]
    assert Submission.objects.count() == 0


@override_settings(FORGERYBENCH_MAX_UPLOAD_BYTES=10_000)
def test_the_size_limit_is_checked_before_any_byte(
    live_server, people, smoke_track, token_for
) -> None:
    http, base = _session(live_server, token_for(people.owner))
    response = _start(http, base, 10_001, "a" * 64)
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert UploadSession.objects.count() == 0


def test_chunks_past_the_declared_size_are_refused(
    live_server, people, smoke_track, token_for
) -> None:
    http, base = _session(live_server, token_for(people.owner))
    upload = _start(http, base, 1000, "a" * 64).json()
    response = _patch(http, base, upload["id"], 0, b"x" * 1001)
    assert response.status_code == 413 and response.json()["code"] == "chunk_too_large"

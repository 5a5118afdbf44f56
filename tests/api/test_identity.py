"""Model card and license travel with an upload session onto the submission, pinned."""

import hashlib
from pathlib import Path

import pytest
import requests

from api.models import UploadSession
from submissions.models import Submission
from tests.api.conftest import sha256_of

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]

CARD = "# Scratch\n\nNo weights at all: a test image.\n"


def _start(http: requests.Session, base: str, size: int, sha256: str, **extra) -> requests.Response:  # type: ignore[no-untyped-def]
    body = {
        "track": "smoke-detect/image",
        "method_name": "Scratch",
        "training_data": "other: none",
        "size": size,
        "sha256": sha256,
        **extra,
    }
    return http.post(f"{base}/uploads/", json=body)


def test_declared_identity_reaches_the_submission(
    live_server, people, smoke_track, token_for, scratch_tarball: Path
) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token_for(people.owner)}"
    base = live_server.url + "/api/v1"
    data = scratch_tarball.read_bytes()
    created = _start(
        http, base, len(data), sha256_of(scratch_tarball), model_card=CARD, license="CC-BY-4.0"
    )
    assert created.status_code == 201, created.text
    upload = created.json()
    digest = hashlib.sha256(CARD.strip("\n").encode()).hexdigest()
    assert upload["license"] == "CC-BY-4.0" and upload["model_card_sha256"] == digest
    sent = http.patch(
        f"{base}/uploads/{upload['id']}/",
        data=data,
        headers={"Content-Type": "application/octet-stream", "Upload-Offset": "0"},
    )
    assert sent.status_code == 200, sent.text
    made = http.post(f"{base}/submissions/", json={"upload": upload["id"]})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["license"] == "CC-BY-4.0" and body["model_card_sha256"] == digest
    assert body["rerun_of"] is None and body["disqualified"] is False
    submission = Submission.objects.get(pk=body["id"])
    assert submission.model_card == CARD.strip("\n") and submission.license == "CC-BY-4.0"


def test_a_bad_identity_is_refused_before_any_byte(
    live_server, people, smoke_track, token_for
) -> None:
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token_for(people.owner)}"
    base = live_server.url + "/api/v1"
    big = _start(http, base, 1000, "0" * 64, model_card="x" * (64 * 1024 + 1))
    assert big.status_code == 400 and big.json()["code"] == "bad_identity", big.text
    assert "the limit is 65,536" in big.json()["message"]
    long_license = _start(http, base, 1000, "0" * 64, license="L" * 121)
    assert long_license.status_code == 400, long_license.text
    assert not UploadSession.objects.exists()

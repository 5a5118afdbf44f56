"""A submission's declared identity (model card, license) is pinned when it is made."""

import hashlib
import io
import json
import zipfile

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from review.bundle import bundle_build
from submissions.models import Provenance, Result, Status, Submission
from submissions.pipeline import submission_score
from submissions.services import (
    LICENSE_MAX_CHARS,
    MODEL_CARD_MAX_BYTES,
    SubmissionRejected,
    submission_check_identity,
    submission_create_from_image,
)
from tests.agents import submission_run_here

CARD = "# Owl net\n\nA residual CNN trained on `other: nothing`.\n\n<b>not bold</b>\n"


def _row(people, smoke_track, **fields) -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=people.team,
        track=smoke_track,
        method_name="m",
        training_data="other: x",
        image_id="sha256:" + "b" * 64,
        status=Status.FINISHED,
        **fields,
    )


def test_identity_checks_name_what_is_wrong() -> None:
    assert submission_check_identity(model_card="\r\n# card\r\n", license=" MIT ") == (
        "# card",
        "MIT",
    )
    with pytest.raises(SubmissionRejected, match="model card is 65,537 bytes; the limit"):
        submission_check_identity(model_card="x" * (MODEL_CARD_MAX_BYTES + 1), license="")
    with pytest.raises(SubmissionRejected, match="license is 121 characters"):
        submission_check_identity(model_card="", license="L" * (LICENSE_MAX_CHARS + 1))
    with pytest.raises(SubmissionRejected, match="one line of printable text"):
        submission_check_identity(model_card="", license="MIT\nand more")
    with pytest.raises(SubmissionRejected, match="NUL byte"):
        submission_check_identity(model_card="a\x00b", license="")


@pytest.mark.docker
@pytest.mark.django_db
def test_card_and_license_are_pinned_into_provenance(people, smoke_track, baseline_image) -> None:
    submission = submission_create_from_image(
        team=people.team,
        track=smoke_track,
        user=people.owner,
        image_reference=baseline_image("sanity"),
        method_name="Owl net",
        training_data="other: nothing",
        model_card=CARD,
        license="Apache-2.0",
    )
    assert submission.model_card == CARD.strip("\n") and submission.license == "Apache-2.0"
    submission_run_here(submission_id=submission.pk)
    submission_score(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED, submission.failure_reason
    digest = hashlib.sha256(submission.model_card.encode()).hexdigest()
    for result in Result.objects.filter(submission=submission):
        provenance = Provenance.objects.get(result=result)
        assert provenance.model_card_sha256 == digest
        assert provenance.license == "Apache-2.0"
        assert provenance.complete, provenance.missing
    # Shown, escaped, on the submission page and the audit page.
    page = Client().get(f"/submissions/{submission.pk}/").content.decode()
    assert digest in page and "Apache-2.0" in page
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    result = Result.objects.filter(submission=submission).order_by("pk")[0]
    member = Client()
    member.force_login(people.owner)
    audit = member.get(f"/audit/results/{result.pk}/").content.decode()
    assert digest in audit and 'id="provenance-license"><code>Apache-2.0</code>' in audit
    # And in the audit bundle's provenance.json.
    with zipfile.ZipFile(io.BytesIO(bundle_build(results=[result], title="t"))) as bundle:
        document = json.loads(bundle.read(f"results/{result.pk}/provenance.json"))
    assert document["model_card_sha256"] == digest and document["license"] == "Apache-2.0"


@pytest.mark.django_db
def test_the_database_refuses_to_change_an_identity(people, smoke_track) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is checked on PostgreSQL")
    submission = _row(people, smoke_track, model_card="card v1", license="MIT")
    for column, value in (
        ("model_card", "card v2"),
        ("license", "GPL-3.0"),
        ("image_id", "sha256:" + "c" * 64),
        ("method_name", "renamed"),
        ("training_data", "ffpp-c23"),
    ):
        with (
            pytest.raises(DatabaseError, match="identity is pinned"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"UPDATE submissions_submission SET {column} = %s WHERE id = %s",
                [value, submission.pk],
            )
    # Status writes, and saves that leave the identity as it was, still work.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE submissions_submission SET failure_reason = 'x' WHERE id = %s",
            [submission.pk],
        )
    submission.refresh_from_db()
    submission.log_tail = "tail"
    submission.save()
    submission.refresh_from_db()
    assert (submission.model_card, submission.license) == ("card v1", "MIT")
    assert submission.failure_reason == "x" and submission.log_tail == "tail"


@pytest.mark.django_db
def test_the_upload_form_refuses_an_oversized_card_and_keeps_nothing(people, smoke_track) -> None:
    client = Client()
    client.force_login(people.owner)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        "/submissions/new/",
        {
            "team": people.team.pk,
            "track": smoke_track.pk,
            "method_name": "m",
            "training_data": "other: x",
            "license": "MIT",
            "model_card": "x" * (MODEL_CARD_MAX_BYTES + 10),
            "image": SimpleUploadedFile("image.tar", b"not really a tarball"),
        },
    )
    assert response.status_code == 400
    assert "the limit is 65,536" in response.content.decode()
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_admin_shows_identity_read_only(people, smoke_track) -> None:
    submission = _row(people, smoke_track, model_card="card", license="MIT")
    client = Client()
    client.force_login(people.organizer)
    people.organizer.is_superuser = True
    people.organizer.save()
    page = client.get(f"/admin/submissions/submission/{submission.pk}/change/").content.decode()
    assert 'name="model_card"' not in page and 'name="license"' not in page
    assert "card" in page and "MIT" in page

"""What a container wrote is read one way everywhere (the validator's lines, split on \\n), and
whatever fails while the platform handles it is the team's counted failure, never the
platform's uncounted one: no run of the hidden split comes free."""

from pathlib import Path

import pytest
from django.utils import timezone

from evaluator.validation.errors import PredictionError
from submissions.models import Provenance, Status
from submissions.pipeline import submission_score
from submissions.selectors import submission_quota_usage
from submissions.services import SubmissionRejected, submission_create_from_image
from submissions.storage import predictions_archive_write, predictions_jsonl_bytes, read_jsonl
from tests.agents import submission_run_here

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _submit(people, track, image: str):
    return submission_create_from_image(
        team=people.team,
        track=track,
        user=people.owner,
        image_reference=image,
        method_name="m",
        training_data="other: none",
    )


def test_carriage_returns_inside_lines_are_read_as_validated_and_counted(
    smoke_track, people, test_image
) -> None:
    smoke_track.daily_submission_limit = 1
    smoke_track.total_submission_limit = 1
    smoke_track.save()
    sub = _submit(people, smoke_track, test_image("crlf-predictions"))
    submission_run_here(submission_id=sub.pk)
    submission_score(submission_id=sub.pk)
    sub.refresh_from_db()
    assert sub.failure_code != "platform_error", sub.failure_reason
    assert sub.status == Status.FINISHED, (sub.failure_code, sub.failure_reason)
    # The stored archive is read back with the validator's line split: every sample there.
    for prov in Provenance.objects.filter(result__submission=sub):
        stored = read_jsonl(
            predictions_jsonl_bytes(
                archive=Path(prov.predictions_path), expected_sha256=prov.predictions_sha256
            )
        )
        assert len(stored) == prov.sample_count
        assert all(set(row) == {"id", "score"} for row in stored)
    usage = submission_quota_usage(team=people.team, track=smoke_track, now=timezone.now())
    assert usage.total == 1
    with pytest.raises(SubmissionRejected):
        _submit(people, smoke_track, test_image("crlf-predictions"))


def test_output_that_cannot_be_stored_is_the_teams_bad_output(tmp_path: Path) -> None:
    output = tmp_path / "output"
    output.mkdir()
    (output / "predictions.jsonl").write_bytes(
        b'{"id": "a", "score": 0.5,\r "mask": "masks/a.png"}\n'
    )  # names a mask that is not there
    with pytest.raises(PredictionError) as caught:
        predictions_archive_write(
            predictions=output / "predictions.jsonl", destination=tmp_path / "store" / "p.tar.gz"
        )
    assert caught.value.code == "bad_output"
    assert not list((tmp_path / "store").iterdir())


def test_stored_lines_split_on_newline_only() -> None:
    data = b'{"id": "a",\r"score": 0.25}\n{"id": "b", "score": 0.5}\r\n'
    assert read_jsonl(data) == [{"id": "a", "score": 0.25}, {"id": "b", "score": 0.5}]

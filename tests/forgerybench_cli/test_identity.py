"""`forgerybench submit --model-card FILE --license SPDX` pins both onto the submission."""

from pathlib import Path

import pytest

from api.models import UploadSession
from submissions.models import Submission
from tests.api.conftest import SCRATCH_TAG

pytestmark = [pytest.mark.docker, pytest.mark.django_db(transaction=True)]


def test_submit_sends_the_model_card_and_license(
    cli, live_server, people, smoke_track, token_for, scratch_tarball, tmp_path: Path
) -> None:
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# Scratch net\n\nTrained on nothing; <i>escaped</i> when shown.\n")
    env = {"FORGERYBENCH_SERVER": live_server.url, "FORGERYBENCH_TOKEN": token_for(people.owner)}
    result = cli(
        "submit",
        SCRATCH_TAG,
        "--track",
        "smoke-detect/image",
        "--method",
        "Scratch net",
        "--training-data",
        "other: nothing",
        "--model-card",
        str(card),
        "--license",
        "Apache-2.0",
        **env,
    )
    assert result.exit_code == 0, result.output
    submission = Submission.objects.get()
    assert submission.license == "Apache-2.0"
    assert submission.model_card == card.read_text().strip("\n")


def test_an_oversized_card_is_refused_before_the_export(
    cli, live_server, people, token_for, tmp_path: Path
) -> None:
    card = tmp_path / "card.md"
    card.write_bytes(b"x" * (64 * 1024 + 1))
    env = {"FORGERYBENCH_SERVER": live_server.url, "FORGERYBENCH_TOKEN": token_for(people.owner)}
    result = cli(
        "submit",
        "no/such-image:1",  # never looked at: the card is checked first
        "--track",
        "smoke-detect/image",
        "--method",
        "m",
        "--training-data",
        "x",
        "--model-card",
        str(card),
        **env,
    )
    assert result.exit_code == 2 and "model_card_too_large" in result.output
    missing = cli(
        "submit",
        "no/such-image:1",
        "--track",
        "smoke-detect/image",
        "--method",
        "m",
        "--training-data",
        "x",
        "--model-card",
        str(tmp_path / "nope.md"),
        **env,
    )
    assert missing.exit_code == 2 and "model_card_unreadable" in missing.output
    assert not UploadSession.objects.exists()

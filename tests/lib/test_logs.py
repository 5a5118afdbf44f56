"""Every log line made while a submission is worked on names it; JSON lines parse."""

import io
import json
import logging
import logging.config
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from lib.logs import JsonFormatter, submission_context
from submissions.models import Status, Submission
from submissions.services import submission_create_from_image
from tests.agents import submission_run_here


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """The site's own console formatter, writing to a buffer on the root logger."""
    stream = io.StringIO()
    logging_settings: dict[str, Any] = settings.LOGGING
    config = logging_settings["formatters"]["plain"]
    formatter = logging.config.DictConfigurator({}).configure_custom(dict(config))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def test_lines_inside_a_context_carry_its_id_and_others_a_dash(captured) -> None:
    log = logging.getLogger("forgerybench.test")
    log.info("before")
    with submission_context(41):
        log.info("inside")
        with submission_context(42):
            log.warning("nested")
        log.info("back")
    log.info("after")
    lines = captured.getvalue().splitlines()
    assert [line.split(" submission=")[1].split(" ")[0] for line in lines] == [
        "-",
        "41",
        "42",
        "41",
        "-",
    ]


def test_json_lines_hold_the_submission_and_the_exception() -> None:
    record = logging.LogRecord("forgerybench.x", logging.ERROR, __file__, 1, "boom %s", (7,), None)
    with submission_context(7):
        try:
            raise ValueError("bad")
        except ValueError:
            import sys

            record = logging.getLogger().makeRecord(
                "forgerybench.x", logging.ERROR, __file__, 1, "boom %s", (7,), sys.exc_info()
            )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["submission_id"] == "7"
    assert entry["message"] == "boom 7" and entry["level"] == "ERROR"
    assert "ValueError: bad" in entry["exception"]


@pytest.mark.docker
@pytest.mark.django_db
def test_a_failing_run_logs_only_lines_naming_its_submission(
    captured, people, smoke_track, test_image
) -> None:
    submission = submission_create_from_image(
        team=people.team,
        track=smoke_track,
        user=people.owner,
        image_reference=test_image("crasher"),
        method_name="crasher",
        training_data="other: nothing",
    )
    captured.truncate(0)
    captured.seek(0)
    submission_run_here(submission_id=submission.pk)  # the agent's calls, in this process
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    # The platform's lines (the agent's own, runagent.*, go to the agent's log elsewhere).
    lines = [
        line
        for line in captured.getvalue().splitlines()
        if line.strip() and " runagent." not in line
    ]
    assert lines, "the failed run logged nothing"
    assert all(f"submission={submission.pk} " in line for line in lines), lines
    assert any("failed: nonzero_exit" in line for line in lines), lines
    assert Submission.objects.get(pk=submission.pk).failure_code == "nonzero_exit"

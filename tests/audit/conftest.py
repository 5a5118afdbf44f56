"""Fixtures of the audit tests: a scored submission through the real pipeline, a reviewer."""

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from submissions.models import Result, Status, Submission
from submissions.pipeline import submission_score
from submissions.services import submission_create_from_image
from tests.agents import submission_run_here


@pytest.fixture
def score(people, smoke_track) -> Callable[..., Submission]:  # type: ignore[no-untyped-def]
    """Submit an image for the owner's team, run and score it in-process (real Docker)."""

    def go(image: str, *, team=None, method: str = "test method") -> Submission:  # type: ignore[no-untyped-def]
        submission = submission_create_from_image(
            team=team or people.team,
            track=smoke_track,
            # Another team is sent by no one of Owl's: one person, one team per phase.
            user=people.owner if team is None else None,
            image_reference=image,
            method_name=method,
            training_data="other: nothing",
        )
        submission_run_here(submission_id=submission.pk)
        submission.refresh_from_db()
        assert submission.status == Status.SCORING, submission.failure_reason
        submission_score(submission_id=submission.pk)
        submission.refresh_from_db()
        assert submission.status == Status.FINISHED, submission.failure_reason
        return submission

    return go


@pytest.fixture
def reviewer(db):  # type: ignore[no-untyped-def]
    from accounts.services import user_create
    from audit.services import reviewer_add

    user = user_create(username="reviewer", password="pw-reviewer-123")
    reviewer_add(user=user)
    return user


def results_of(submission: Submission) -> SimpleNamespace:
    by_split = {
        r.split.name: r
        for r in Result.objects.filter(submission=submission).select_related("split")
    }
    return SimpleNamespace(**by_split)

"""Every smoke benchmark runs its sanity baseline through a real worker and Docker; the
robustness track of Smoke-Detect yields a result per perturbation level."""

from __future__ import annotations

import math
import time

import pytest
from django.test import Client

from accounts.services import team_create
from benchmarks.models import Split, Track
from benchmarks.services import split_publish_results
from benchmarks.smoke_install import smoke_install
from leaderboards.robustness import robustness_results
from submissions.models import Result, Status, Submission
from submissions.services import submission_create_from_image

pytestmark = [pytest.mark.e2e, pytest.mark.docker, pytest.mark.django_db(transaction=True)]

TRACKS = {
    ("smoke-localize", "image"): "sanity-localization",
    ("smoke-retrieve", "image"): "sanity-retrieval",
    ("smoke-videoinpaint", "frames"): "sanity-video-localization",
    ("smoke-detect", "image-robustness"): "sanity",
}


def test_sanity_baselines_score_on_every_smoke_task(celery_worker, baseline_image) -> None:
    for image in TRACKS.values():
        baseline_image(image)
    smoke_install(scale=0.1, tracks={f"{b}/{t}" for b, t in TRACKS})
    team = team_create(name="Baselines", is_baseline=True)
    submissions = {
        key: submission_create_from_image(
            team=team,
            track=Track.objects.get(benchmark__slug=key[0], slug=key[1]),
            user=None,
            image_reference=f"forgerybench/baseline-{image}:latest",
            method_name="Chance (hash of id)",
            training_data="none",
        )
        for key, image in TRACKS.items()
    }
    deadline = time.monotonic() + 600
    while Submission.objects.exclude(status__in=[Status.FINISHED, Status.FAILED]).exists():
        assert time.monotonic() < deadline, "baselines did not finish in time"
        time.sleep(0.5)
    for key, submission in submissions.items():
        submission.refresh_from_db()
        assert submission.status == Status.FINISHED, (key, submission.failure_reason)
        results = Result.objects.filter(submission=submission)
        # Every split but the out-of-distribution tier, which runs only on final picks.
        assert results.count() == submission.track.splits.exclude(visibility="ood").count()
        for result in results:
            assert result.primary_value is not None and math.isfinite(result.primary_value)
            assert 0.0 <= result.primary_value <= 1.0
    robust = Track.objects.get(benchmark__slug="smoke-detect", slug="image-robustness")
    (row,) = robustness_results(track=robust, visible_only=False)
    assert len(row.levels) == 15 and all(level.value is not None for level in row.levels)
    assert set(row.mean_by_perturbation) == {"jpeg", "noise", "blur", "resize"}
    # The chance baseline: at chance on the clean copy, so left out of the ranking.
    assert row.clean is not None and row.skill.at_chance and row.rank is None
    assert row.skill.clean_interval is not None, "intervals come from the saved unit tables"

    # The track page shows the robustness view once the hidden levels are published.
    for split in robust.splits.filter(visibility=Split.Visibility.HIDDEN):
        split_publish_results(split=split, actor="organizer", reason="test")
    page = Client().get("/b/smoke-detect/image-robustness/").content.decode()
    assert 'id="robustness"' in page and "skill retained (all)" in page
    assert 'id="robustness-at-chance"' in page and "Not ranked" in page
    assert page.count('<figure class="robustness"') == 4  # one plot per perturbation kind
    assert page.count('<circle class="point"') == 15 + 4  # every level and clean, per plot
    assert 'class="x-label"' in page and "JPEG quality" in page
    assert '<details id="robustness-splits">' in page

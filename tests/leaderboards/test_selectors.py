"""Leaderboard rows: best per team, ranked by the primary metric, hidden splits gated."""

import pytest
from django.test import Client

from accounts.services import team_create
from benchmarks.models import Split
from benchmarks.services import split_publish_results
from leaderboards.selectors import leaderboard_for_split
from submissions.models import Result, Status, Submission
from tests.support import finished_result

pytestmark = pytest.mark.django_db


def _finished(team, track, method: str, scores: dict[str, float]) -> Submission:
    for split in track.splits.filter(name__in=scores):
        auc = scores[split.name]
        result = finished_result(
            track=track,
            split=split,
            team=team,
            method=method,
            metrics={"auc": auc, "acc": 0.5, "ci": {"auc": [auc - 0.1, auc]}},
            primary_value=auc,
        )
    return result.submission


def test_one_row_per_team_best_first_and_ties_share_a_rank(smoke_track) -> None:
    owls, cats, dogs = (team_create(name=n) for n in ("Owls", "Cats", "Dogs"))
    _finished(owls, smoke_track, "owl-v1", {"val": 0.70, "test": 0.6})
    _finished(owls, smoke_track, "owl-v2", {"val": 0.90, "test": 0.6})
    _finished(cats, smoke_track, "cat", {"val": 0.80, "test": 0.6})
    _finished(dogs, smoke_track, "dog", {"val": 0.80, "test": 0.6})
    val = smoke_track.splits.get(name="val")
    rows, columns = leaderboard_for_split(split=val, track=smoke_track)
    assert [(r.rank, r.method) for r in rows] == [(1, "owl-v2"), (2, "cat"), (2, "dog")]
    assert columns == ["auc", "acc"]
    assert rows[0].interval == (pytest.approx(0.8), 0.9)


def test_failed_submissions_never_rank(smoke_track) -> None:
    team = team_create(name="Owls")
    submission = _finished(team, smoke_track, "owl", {"val": 0.9, "test": 0.9})
    Submission.objects.filter(pk=submission.pk).update(status=Status.FAILED)
    rows, _ = leaderboard_for_split(split=smoke_track.splits.get(name="val"), track=smoke_track)
    assert rows == []


def test_hidden_numbers_appear_only_once_published(smoke_track) -> None:
    team = team_create(name="Owls")
    _finished(team, smoke_track, "owl", {"val": 0.91234, "test": 0.45678})
    page = Client().get("/b/smoke-detect/image/").content.decode()
    assert "0.9123" in page and "0.4568" not in page
    split_publish_results(split=smoke_track.splits.get(visibility=Split.Visibility.HIDDEN))
    page = Client().get("/b/smoke-detect/image/").content.decode()
    assert "0.4568" in page


def test_home_lists_the_benchmark_as_synthetic(smoke_track) -> None:
    page = Client().get("/").content.decode()
    assert "Smoke-Detect" in page and "synthetic" in page


def test_each_baseline_method_keeps_its_own_row(smoke_track) -> None:
    baselines = team_create(name="ForgeryBench baselines", is_baseline=True)
    _finished(baselines, smoke_track, "Chance", {"val": 0.5, "test": 0.5})
    _finished(baselines, smoke_track, "High-frequency", {"val": 0.7, "test": 0.7})
    rows, _ = leaderboard_for_split(split=smoke_track.splits.get(name="val"), track=smoke_track)
    assert [(r.rank, r.method, r.is_baseline) for r in rows] == [
        (1, "High-frequency", True),
        (2, "Chance", True),
    ]


def test_columns_are_the_tasks_metrics_only(smoke_track) -> None:
    team = team_create(name="Owls")
    submission = _finished(team, smoke_track, "owl", {"val": 0.9, "test": 0.9})
    Result.objects.filter(submission=submission).update(
        metrics={"auc": 0.9, "eer": 0.1, "n_resamples": 1000, "seed": 3, "task": "detection"}
    )
    _, columns = leaderboard_for_split(split=smoke_track.splits.get(name="val"), track=smoke_track)
    assert columns == ["auc", "eer"]


def test_results_without_complete_provenance_or_removed_are_never_shown(smoke_track) -> None:
    from submissions.models import Provenance, ResultReview, VerificationStatus

    owls, cats = team_create(name="Owls"), team_create(name="Cats")
    _finished(owls, smoke_track, "owl", {"val": 0.9, "test": 0.9})
    _finished(cats, smoke_track, "cat", {"val": 0.8, "test": 0.8})
    val = smoke_track.splits.get(name="val")
    Provenance.objects.filter(result__submission__team=owls).update(complete=False)
    cat_result = Result.objects.get(submission__team=cats, split=val)
    ResultReview.objects.create(result=cat_result, status=VerificationStatus.REMOVED)
    rows, _ = leaderboard_for_split(split=val, track=smoke_track)
    assert rows == []

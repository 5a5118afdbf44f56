"""Shared ranks from real per-unit tables, rank ranges, sorting, exports, query counts."""

import io
import json
import random
from pathlib import Path

import pandas as pd
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.services import team_create
from benchmarks.services import track_results_changed
from evaluator.scoring import evaluate
from leaderboards.selectors import leaderboard_for_split, rank_ranges
from submissions.artifacts import unit_table_path
from submissions.models import Result, SplitRun, Submission
from tests.support import finished_result

pytestmark = pytest.mark.django_db


def _score(split, scores: dict[str, float], folder: Path):
    folder.mkdir(parents=True)
    (folder / "predictions.jsonl").write_text(
        "".join(json.dumps({"id": i, "score": s}) + "\n" for i, s in scores.items())
    )
    evaluation = evaluate("detection", Path(split.labels_path), folder / "predictions.jsonl")
    return evaluation


def _entry(track, split, team, method: str, noise: float, seed: int, tmp_path: Path) -> None:
    truth = [json.loads(line) for line in Path(split.labels_path).read_text().splitlines()]
    rng = random.Random(seed)
    scores = {
        t["id"]: min(
            1.0,
            max(
                0.0, 0.5 + (0.5 if t["label"] else -0.5) * (1 - noise) + rng.uniform(-noise, noise)
            ),
        )
        for t in truth
    }
    folder = tmp_path / f"{team.pk}-{method}"
    evaluation = _score(split, scores, folder)
    metrics = evaluation.result
    result = finished_result(
        track=track,
        split=split,
        team=team,
        method=method,
        metrics=metrics,
        primary_value=metrics["auc"],
    )
    SplitRun.objects.create(submission=result.submission, split=split, artifacts_dir=str(folder))
    # The platform's own table, in the scores tree (never among what a container wrote).
    units = unit_table_path(submission_id=result.submission_id, split_name=split.name)
    units.parent.mkdir(parents=True, exist_ok=True)
    evaluation.table.save(units)


def test_close_entries_share_a_rank_and_distant_ones_do_not(smoke_track, tmp_path) -> None:
    val = smoke_track.splits.get(name="val")
    teams = [team_create(name=n) for n in ("Strong", "Strong too", "Weak")]
    _entry(smoke_track, val, teams[0], "a", 0.30, 1, tmp_path)
    _entry(smoke_track, val, teams[1], "b", 0.31, 2, tmp_path)
    _entry(smoke_track, val, teams[2], "c", 1.00, 3, tmp_path)
    rows, _ = leaderboard_for_split(split=val, track=smoke_track)
    assert [r.method for r in rows] == ["a", "b", "c"] or [r.method for r in rows][2] == "c"
    assert rows[1].shares_rank and rows[1].rank == 1
    assert not rows[2].shares_rank and rows[2].rank == 3
    assert rows[2].rank_range[0] >= 2


def test_rank_ranges_follow_the_interval_rule() -> None:
    intervals = [(0.8, 0.9), (0.75, 0.85), (0.1, 0.2), None]
    assert rank_ranges(intervals, higher_better=True) == [(1, 3), (1, 3), (3, 4), (1, 4)]
    assert rank_ranges([(0.1, 0.2), (0.3, 0.4)], higher_better=False) == [(1, 1), (2, 2)]


def test_exports_carry_the_numbers_of_the_page(smoke_track, tmp_path) -> None:
    val = smoke_track.splits.get(name="val")
    _entry(smoke_track, val, team_create(name="Owls"), "owl", 0.4, 1, tmp_path)
    client = Client()
    csv = pd.read_csv(io.BytesIO(client.get("/b/smoke-detect/image/val.csv").content))
    data = json.loads(client.get("/b/smoke-detect/image/val.json").content)
    page = client.get("/b/smoke-detect/image/").content.decode()
    auc = Result.objects.get().metrics["auc"]
    assert csv.loc[0, "auc"] == pytest.approx(auc) and data[0]["auc"] == pytest.approx(auc)
    assert f"{auc:.4f}" in page
    assert client.get("/b/smoke-detect/image/test.csv").status_code == 404  # not published


def test_sorting_by_a_column_keeps_ranks(smoke_track, tmp_path) -> None:
    val = smoke_track.splits.get(name="val")
    _entry(smoke_track, val, team_create(name="Owls"), "owl", 0.3, 1, tmp_path)
    _entry(smoke_track, val, team_create(name="Cats"), "cat", 0.9, 2, tmp_path)
    page = Client().get("/b/smoke-detect/image/?sort=log_loss&order=desc").content.decode()
    assert page.index(">cat<") < page.index(">owl<")


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_entries(smoke_track, people, tmp_path) -> None:
    val = smoke_track.splits.get(name="val")
    for n in range(3):
        _entry(smoke_track, val, team_create(name=f"T{n}"), f"m{n}", 0.5, n, tmp_path)
    track_results_changed(track=smoke_track)  # what every writer of results does
    member = Client()
    member.force_login(people.owner)  # signed in: no whole-page cache
    url = "/b/smoke-detect/image/"
    _queries_for(member, url)  # the reader's own rows (user, unread count) are cached from now
    track_results_changed(track=smoke_track)
    cold_few, warm_few = _queries_for(member, url), _queries_for(member, url)
    for n in range(3, 12):
        _entry(smoke_track, val, team_create(name=f"T{n}"), f"m{n}", 0.5, n, tmp_path)
    track_results_changed(track=smoke_track)
    cold_many, warm_many = _queries_for(member, url), _queries_for(member, url)
    assert cold_many == cold_few, "computing a board must not query per entry"
    assert warm_many == warm_few < cold_few, "a cached board skips its own queries"


def test_anonymous_pages_are_cached_until_the_results_change(smoke_track, tmp_path) -> None:
    val = smoke_track.splits.get(name="val")
    _entry(smoke_track, val, team_create(name="Owls"), "owl", 0.4, 1, tmp_path)
    url = "/b/smoke-detect/image/"
    reader = Client()
    assert ">owl<" in reader.get(url).content.decode()
    assert _queries_for(reader, url) == 0
    _entry(smoke_track, val, team_create(name="Cats"), "cat", 0.4, 2, tmp_path)
    track_results_changed(track=smoke_track)
    assert ">cat<" in reader.get(url).content.decode()


def test_generalization_matrix_groups_by_training_data(smoke_track, tmp_path) -> None:
    val = smoke_track.splits.get(name="val")
    owls = team_create(name="Owls")
    # Declared at submission time (identity columns refuse UPDATE); _entry reuses this row.
    Submission.objects.create(
        team=owls,
        track=smoke_track,
        method_name="owl",
        training_data="ffpp-c23",
        image_id="sha256:" + "a" * 64,
        status="finished",
    )
    _entry(smoke_track, val, owls, "owl", 0.4, 1, tmp_path)
    page = Client().get("/generalization/").content.decode()
    assert "ffpp-c23" in page and "Smoke-Detect" in page and "owl" in page


def test_deployment_columns_on_request_with_intervals_and_the_cost_beside(
    smoke_track, tmp_path
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    val = smoke_track.splits.get(name="val")
    _entry(smoke_track, val, team_create(name="Owls"), "owl", 0.2, 1, tmp_path)
    run = SplitRun.objects.get(split=val)
    start = timezone.now()
    run.started_at, run.ended_at = start, start + timedelta(seconds=val.sample_count * 0.25)
    run.peak_memory_bytes = 300 * 2**20  # the runner's cgroup high-water mark
    run.save()
    track_results_changed(track=smoke_track)
    url = f"/b/{smoke_track.benchmark.slug}/{smoke_track.slug}/"
    plain = Client().get(url).content.decode()
    assert "tpr@fpr0.01" not in plain and 'id="show-optional"' in plain
    assert '<td class="num cost">0.25 s · 300 MiB</td>' in plain  # beside the primary
    full = Client().get(url + "?columns=all").content.decode()
    result = Result.objects.get(split=val)
    for name in ("tpr@fpr0.01", "tpr@fpr0.001", "bacc", "ece", "brier"):
        assert f">{name}</a>" in full
        low, high = result.metrics["ci"][name]
        assert f"[{low:.3f}, {high:.3f}]" in full
    assert "columns=all#split-val" in full, "sorting keeps the columns"


def test_cost_on_a_hidden_split_shows_only_the_bands_the_team_is_shown(smoke_track) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from leaderboards.selectors import run_cost
    from leaderboards.templatetags.leaderboard_extras import run_cost as render_cost
    from submissions.run_disclosure import Limits

    test = smoke_track.splits.get(name="test")
    start = timezone.now()
    run = SplitRun(
        split=test,
        started_at=start,
        ended_at=start + timedelta(seconds=12.345),
        peak_memory_bytes=123_456_789,
    )
    limits = Limits(timeout_seconds=300, memory_mb=1024, output_cap_mb=64, sample_count=40)
    hidden = run_cost(run, samples=40, banded=limits)
    assert hidden is not None and hidden.bands is not None
    assert hidden.seconds_per_sample is None and hidden.peak_memory_bytes is None
    shown = render_cost(hidden)
    assert "12.3" not in shown and "0.309" not in shown and "118" not in shown
    assert shown == "run 4.7-38 s · 64-256 MiB"
    public = run_cost(run, samples=40)
    assert public is not None and render_cost(public) == "0.309 s · 118 MiB"


def test_signed_in_readers_get_the_shared_content_in_their_own_frame(
    smoke_track, people, tmp_path
) -> None:
    """The page's content is rendered once per language and change for every reader; a
    signed-in reader's request reads who they are and their unread count from the cache."""
    val = smoke_track.splits.get(name="val")
    _entry(smoke_track, val, team_create(name="Owls"), "owl", 0.4, 1, tmp_path)
    track_results_changed(track=smoke_track)
    url = "/b/smoke-detect/image/"
    assert ">owl<" in Client().get(url).content.decode()  # an anonymous reader renders it
    member = Client()
    member.force_login(people.owner)
    with CaptureQueriesContext(connection) as captured:
        page = member.get(url).content.decode()
    assert ">owl<" in page and "Log out owner" in page and "csrfmiddlewaretoken" in page
    tables = " ".join(query["sql"] for query in captured.captured_queries)
    assert "submissions_result" not in tables and "benchmarks_split" not in tables
    # The user's row and unread count (the session was cached when it was saved): once.
    assert len(captured.captured_queries) == 2
    with CaptureQueriesContext(connection) as captured:
        again = member.get(url).content.decode()
    assert len(captured.captured_queries) == 0 and "Log out owner" in again
    # A change of the results reaches the signed-in reader at once.
    _entry(smoke_track, val, team_create(name="Cats"), "cat", 0.4, 2, tmp_path)
    track_results_changed(track=smoke_track)
    assert ">cat<" in member.get(url).content.decode()
    # Another language is another copy of the content.
    chinese = Client(headers={"accept-language": "zh-hans"})
    chinese.force_login(people.teammate)
    page = chinese.get(url).content.decode()
    assert ">cat<" in page and "披露政策" in page and "Disclosure policy" not in page

"""The analytics page of a benchmark: plots from real submissions in PostgreSQL, CSV numbers
equal to the database's, and organizers only."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.services import user_create
from benchmarks.models import Split
from submissions.models import Result, Submission

pytestmark = pytest.mark.django_db


def _csv(client: Client, plot: str, slug: str = "smoke-detect") -> list[dict[str, str]]:
    response = client.get(f"/organize/benchmarks/{slug}/analytics/{plot}.csv")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


@pytest.fixture
def organizer(people) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(people.organizer)
    return client


def test_the_page_draws_every_plot_as_accessible_svg(history, organizer) -> None:
    response = organizer.get("/organize/benchmarks/smoke-detect/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    for chart_id in ("activity", "failures", "waits", "runtimes", "best-image"):
        start = html.index(f'<svg xmlns="http://www.w3.org/2000/svg" id="chart-{chart_id}"')
        svg = ET.fromstring(html[start : html.index("</svg>", start) + len("</svg>")])
        assert svg.get("role") == "img"
        ns = "{http://www.w3.org/2000/svg}"
        title, desc = svg.find(f"{ns}title"), svg.find(f"{ns}desc")
        assert title is not None and title.text and desc is not None and desc.text
        labels = [t.text for t in svg.iter(f"{ns}text") if "label" in (t.get("class") or "")]
        assert len(labels) == 2  # both axes are labelled
    assert html.count("<details>") >= 5  # each plot's numbers as a table
    assert "/organize/benchmarks/smoke-detect/analytics/waits.csv" in html
    assert "No data yet." not in html


def test_activity_csv_matches_the_database(history, organizer) -> None:
    rows = _csv(organizer, "activity")
    assert [r["day"] for r in rows] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    for row in rows:
        day = datetime.fromisoformat(row["day"]).replace(tzinfo=UTC)
        made = Submission.objects.filter(
            track__benchmark__slug="smoke-detect",
            created_at__gte=day,
            created_at__lt=day + timedelta(days=1),
        )
        assert int(row["submissions"]) == made.count()
        assert int(row["active_teams"]) == made.values("team").distinct().count()
    assert [int(r["submissions"]) for r in rows] == [3, 0, 3]


def test_failure_wait_and_runtime_csvs_match_the_database(history, organizer) -> None:
    failures = _csv(organizer, "failures")
    assert {(r["day"], r["failure_code"], int(r["failures"])) for r in failures} == {
        ("2026-03-02", "nonzero_exit", 1),
        ("2026-03-04", "image_missing", 1),
    }
    waits = _csv(organizer, "waits")
    started = Submission.objects.filter(running_at__isnull=False)
    assert len(waits) == started.count() == 4
    for row in waits:
        s = started.get(pk=int(row["submission"]))
        assert s.running_at is not None and s.queued_at is not None
        assert float(row["wait_seconds"]) == (s.running_at - s.queued_at).total_seconds()
        assert datetime.fromisoformat(row["running_at"]) == s.running_at
    runtimes = _csv(organizer, "runtimes")
    assert sorted(float(r["run_seconds"]) for r in runtimes) == [40.0, 60.0, 100.0]


def test_best_scores_csv_keeps_the_running_best_and_inert_team_names(history, organizer) -> None:
    rows = _csv(organizer, "best-scores")
    test = [(r["day"], float(r["best"]), r["team"]) for r in rows if r["split"] == "test"]
    assert test == [
        ("2026-03-02", 0.72, "'=HYPERLINK(evil)"),
        ("2026-03-04", 0.72, "'=HYPERLINK(evil)"),
    ]
    values = Result.objects.filter(split__name="test").values_list("primary_value", flat=True)
    best = max(v for v in values if v is not None)
    assert float(test[-1][1]) == best
    assert not any(r["split"] == Split.DEBUG for r in rows)


def test_an_empty_benchmark_has_empty_exports(smoke_track, organizer) -> None:
    page = organizer.get("/organize/benchmarks/smoke-detect/analytics/")
    assert page.status_code == 200
    assert page.content.decode().count("No data yet.") == 5 and b"<svg" not in page.content
    assert _csv(organizer, "activity") == []
    assert organizer.get("/organize/benchmarks/smoke-detect/analytics/nope.csv").status_code == 404
    assert organizer.get("/organize/benchmarks/missing/analytics/").status_code == 404


def test_only_organizers_see_analytics(smoke_track, people) -> None:
    reviewer = user_create(username="reviewer", password="pw-reviewer-123")
    reviewer.groups.add(Group.objects.get_or_create(name="reviewers")[0])
    pages = (
        "/organize/benchmarks/smoke-detect/analytics/",
        "/organize/benchmarks/smoke-detect/analytics/best-scores.csv",
    )
    for page in pages:
        assert Client().get(page).status_code == 302  # to the login page
        for user in (people.outsider, people.teammate, people.owner, reviewer):
            client = Client()
            client.force_login(user)
            assert client.get(page).status_code == 403, (page, user.username)

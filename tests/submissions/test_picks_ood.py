"""The OOD tier for real: a normal run leaves it out; the reveal runs and scores only the picks.

The first test drives the steps in-process against real Docker; the second goes through the
real Celery worker, from the reveal to the row on the OOD tab and the audit test reports.
"""

import time

import pytest
from django.test import Client

from accounts.services import team_create
from benchmarks.models import Split
from leaderboards.selectors import leaderboard_for_split
from review.models import AuditTestReport
from submissions.models import FinalPick, Provenance, Result, SplitRun, Status, Submission
from submissions.ood import ood_score
from submissions.picks import final_pick_add, phase_reveal
from submissions.pipeline import submission_score
from submissions.services import submission_create_from_image
from tests.agents import run_jobs_here, submission_run_here

pytestmark = [pytest.mark.docker]


def _submit(team, user, track, image: str, method: str) -> Submission:  # type: ignore[no-untyped-def]
    return submission_create_from_image(
        team=team,
        track=track,
        user=user,
        image_reference=image,
        method_name=method,
        training_data="other: nothing",
    )


@pytest.mark.django_db
def test_only_final_picks_run_on_the_ood_split_and_show_one_row_each(
    people, smoke_track, baseline_image
) -> None:
    baseline_image("sanity")
    image = "forgerybench/baseline-sanity:latest"
    picked = _submit(people.team, people.owner, smoke_track, image, "picked")
    other = _submit(people.team, people.owner, smoke_track, image, "not picked")
    for submission in (picked, other):
        submission_run_here(submission_id=submission.pk)
        submission_score(submission_id=submission.pk)
        submission.refresh_from_db()
        assert submission.status == Status.FINISHED, submission.failure_reason
    ood = smoke_track.splits.get(visibility=Split.Visibility.OOD)
    assert not SplitRun.objects.filter(split=ood).exists(), "normal runs leave the OOD tier out"
    assert Result.objects.filter(split__name__in=["val", "test"]).count() == 4
    phase = smoke_track.benchmark.phases.get()
    final_pick_add(phase=phase, submission=picked, user=people.owner)
    # Before the reveal nobody sees OOD results, and there are none.
    page = Client().get("/b/smoke-detect/image/").content.decode()
    assert "Revealed by the organizers at the end of the phase." in page
    report = phase_reveal(phase=phase, user=people.organizer, reason="phase over")
    assert report.runs_queued == 1
    # Outside a test transaction these two steps are queued by on_commit; here we drive them.
    assert len(run_jobs_here(kinds=("ood",))) == 1
    run = SplitRun.objects.get(submission=picked, split=ood)
    assert run.outcome == "completed" and run.runtime_flags["network_mode"] == "none"
    result = ood_score(submission_id=picked.pk, split_id=ood.pk)
    assert result is not None and result.split == ood and result.primary_value is not None
    assert Provenance.objects.get(result=result).complete
    assert ood_score(submission_id=picked.pk, split_id=ood.pk) is None, "scored once"
    picked.refresh_from_db()
    assert picked.status == Status.FINISHED
    assert not SplitRun.objects.filter(submission=other, split=ood).exists()
    ood.refresh_from_db()
    rows, columns = leaderboard_for_split(split=ood, track=smoke_track)
    assert [(r.method, r.submission_id) for r in rows] == [("picked", picked.pk)]
    assert columns[0] == "auc" and rows[0].interval is not None
    page = Client().get("/b/smoke-detect/image/").content.decode()
    assert 'id="split-ood"' in page and f'href="/submissions/{picked.pk}/">picked</a>' in page


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_reveal_runs_picks_through_the_worker_and_audits_them(
    celery_worker, people, smoke_track, baseline_image
) -> None:
    baseline_image("sanity")
    image = "forgerybench/baseline-sanity:latest"
    mine = _submit(people.team, people.owner, smoke_track, image, "mine")
    cats = team_create(name="Cats", owner=people.outsider)
    theirs = _submit(cats, people.outsider, smoke_track, image, "theirs")
    _wait(lambda: Submission.objects.filter(status=Status.FINISHED).count() == 2, "runs")
    mine.refresh_from_db()
    phase = smoke_track.benchmark.phases.get()
    final_pick_add(phase=phase, submission=mine, user=people.owner)
    phase_reveal(phase=phase, user=people.organizer, reason="phase over")
    assert FinalPick.objects.get(submission=theirs).automatic, "Cats chose none"
    ood = smoke_track.splits.get(visibility=Split.Visibility.OOD)
    _wait(lambda: Result.objects.filter(split=ood).count() == 2, "OOD results")
    assert set(Result.objects.filter(split=ood).values_list("submission_id", flat=True)) == {
        mine.pk,
        theirs.pk,
    }
    # Audit tests on each pick's val and test results: two kinds each.
    _wait(lambda: AuditTestReport.objects.count() == 8, "audit tests", timeout=420)
    assert set(AuditTestReport.objects.values_list("actor", flat=True)) == {"system"}
    page = Client().get("/b/smoke-detect/image/").content.decode()
    section = page[page.index('id="split-ood"') :]
    assert "mine" in section and "theirs" in section


def _wait(done, what: str, timeout: float = 300) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"{what} did not finish in time"
        time.sleep(0.5)

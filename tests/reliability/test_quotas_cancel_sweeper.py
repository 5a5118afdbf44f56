"""Quotas count the team's failures but not the platform's; cancel stops a running container;
the sweeper resends and fails stale submissions by state."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from benchmarks.models import Track
from runs.models import RunJob
from submissions.models import Result, SplitRun, Status, Submission
from submissions.selectors import submission_quota_usage
from submissions.services import (
    SubmissionRejected,
    submission_cancel,
    submission_create_from_image,
)
from submissions.sweeper import submission_sweep
from tests.agents import submission_run_here

from .conftest import client_broker, wait_for

pytestmark = pytest.mark.docker


def _submit(people, track, image: str) -> Submission:
    return submission_create_from_image(
        team=people.team,
        track=track,
        user=people.owner,
        image_reference=image,
        method_name="m",
        training_data="other: none",
    )


def _row(people, track, status: str, code: str = "", days_ago: int = 0) -> Submission:
    submission = Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="x",
        image_id="sha256:x",
        status=status,
        failure_code=code,
    )
    if days_ago:
        Submission.objects.filter(pk=submission.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return submission


@pytest.mark.django_db
def test_quota_counts_team_failures_not_platform_failures(
    people, smoke_track, baseline_image
) -> None:
    image = baseline_image("sanity")
    Track.objects.filter(pk=smoke_track.pk).update(daily_submission_limit=2)
    smoke_track.refresh_from_db()
    _row(people, smoke_track, Status.FAILED, "platform_error")
    _row(people, smoke_track, Status.FAILED, "platform_timeout")
    _row(people, smoke_track, Status.CANCELLED, "cancelled")
    _row(people, smoke_track, Status.FINISHED, days_ago=2)  # yesterday's day is over
    usage = submission_quota_usage(team=people.team, track=smoke_track, now=timezone.now())
    assert (usage.today, usage.total) == (0, 1)

    _row(people, smoke_track, Status.FAILED, "nonzero_exit")  # the team's container crashed
    _submit(people, smoke_track, image)  # 2nd of 2 today
    with pytest.raises(SubmissionRejected, match=r"daily quota reached: .* used 2 of 2"):
        _submit(people, smoke_track, image)

    Track.objects.filter(pk=smoke_track.pk).update(
        daily_submission_limit=None, total_submission_limit=3
    )
    smoke_track.refresh_from_db()
    with pytest.raises(SubmissionRejected, match=r"quota reached: .* all 3 submissions"):
        _submit(people, smoke_track, image)
    assert Submission.objects.filter(team=people.team).count() == 6, "no row for a refusal"


@pytest.mark.django_db
def test_a_cancelled_queued_submission_never_runs(people, smoke_track, baseline_image) -> None:
    submission = _submit(people, smoke_track, baseline_image("sanity"))
    client = Client()
    client.force_login(people.outsider)
    assert client.post(f"/submissions/{submission.pk}/cancel/").status_code == 404
    client.force_login(people.teammate)
    response = client.post(f"/submissions/{submission.pk}/cancel/", follow=True)
    assert "is cancelled" in response.content.decode()
    submission.refresh_from_db()
    assert (submission.status, submission.cancelled_by) == (Status.CANCELLED, people.teammate)
    submission_run_here(submission_id=submission.pk)  # its message arrives anyway
    assert not SplitRun.objects.filter(submission=submission).exists()
    assert not submission_cancel(submission=submission, user=people.organizer)


def test_cancelling_a_running_submission_stops_its_container(
    rig, test_image, docker_client
) -> None:
    rig.workers.start(broker_url=rig.redis.url, database_url=rig.database_url, name="cancel")
    with client_broker(rig.redis.url):
        submission = _submit(rig.people, rig.track, test_image("reliability-slow"))
    labels = [
        f"org.forgerybench.submission={submission.pk}",
        f"org.forgerybench.instance={settings.FORGERYBENCH_INSTANCE}",
    ]

    def running() -> bool:
        found = docker_client.containers.list(sparse=True, filters={"label": labels})
        return bool(found) and Submission.objects.get(pk=submission.pk).status == Status.RUNNING

    wait_for(running, 60, "the container to run")
    client = Client()
    client.force_login(rig.people.organizer)
    client.post(f"/submissions/{submission.pk}/cancel/")
    # The agent's next heartbeat (1 s here) is answered "cancelled" and it stops the container;
    # the slow model would need 6 s. The job was cancelled on the platform's side at once.
    wait_for(
        lambda: (
            docker_client.containers.list(all=True, sparse=True, filters={"label": labels}) == []
        ),
        10,
        "the run to stop",
    )
    assert not RunJob.objects.filter(submission=submission, state__in=["queued", "running"])
    submission.refresh_from_db()
    assert submission.status == Status.CANCELLED
    # The agent's late report of the stopped run is kept: one SplitRun, outcome cancelled,
    # with the container's log and the platform's measurements; no Result.
    wait_for(lambda: SplitRun.objects.filter(submission=submission).exists(), 10, "the run record")
    run = SplitRun.objects.get(submission=submission)
    assert run.outcome == "cancelled" and run.ended_at is not None
    assert "warming up" in run.log_tail and "[platform] stopped" in run.log_tail
    assert run.peak_memory_bytes is not None
    job = RunJob.objects.get(submission=submission)
    assert (job.state, job.outcome) == ("cancelled", "cancelled")
    assert not Result.objects.filter(submission=submission).exists()
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "cancelled by organizer" in page
    assert 'id="runs"' in page and "<code>cancelled</code>" in page
    (everything,) = client.get(f"/api/v1/submissions/{submission.pk}/logs/").json()["runs"]
    assert "warming up" in everything["log_tail"]  # organizers: all of it
    assert everything["peak_memory_bytes"] is not None
    # The team sees the hidden run as cancelled, without measurements (they would come free:
    # the cancelled submission does not count against its quota).
    team = Client()
    team.force_login(rig.people.owner)
    logs = team.get(f"/api/v1/submissions/{submission.pk}/logs/").json()
    (shown,) = logs["runs"]
    assert shown["outcome"] == "cancelled" and shown["log_tail"] == ""
    assert shown["measured"]["peak_memory"] == "not measured"
    assert shown["measured"]["wall_time"] == "not measured"
    usage = submission_quota_usage(team=rig.people.team, track=rig.track, now=timezone.now())
    assert usage.total == 0


def test_sweeper_resends_and_fails_by_state(rig) -> None:
    people, track = rig.people, rig.track
    now = timezone.now()
    old = now - timedelta(seconds=settings.FORGERYBENCH_FAIL_QUEUED_SECONDS + 60)
    stale = now - timedelta(seconds=settings.FORGERYBENCH_REQUEUE_QUEUED_SECONDS + 60)
    lost = _row(people, track, Status.QUEUED)
    Submission.objects.filter(pk=lost.pk).update(queued_at=stale, last_sent_at=stale)
    fresh = _row(people, track, Status.QUEUED)
    Submission.objects.filter(pk=fresh.pk).update(queued_at=now, last_sent_at=now)
    ancient = _row(people, track, Status.QUEUED)
    Submission.objects.filter(pk=ancient.pk).update(queued_at=old, last_sent_at=old)
    # A run whose agent stopped beating is its run job's expired lease, swept per job
    # (tests/runs/test_state_machine.py: queued again under a new attempt and sent once).
    overdue = _row(people, track, Status.RUNNING)
    Submission.objects.filter(pk=overdue.pk).update(
        running_at=now - timedelta(days=1), heartbeat_at=now, run_owner="elsewhere:2"
    )
    scoring = _row(people, track, Status.SCORING)
    long_ago = now - timedelta(seconds=settings.FORGERYBENCH_REQUEUE_SCORING_SECONDS + 60)
    Submission.objects.filter(pk=scoring.pk).update(scoring_at=long_ago, last_sent_at=long_ago)

    with client_broker(rig.redis.url):
        report = submission_sweep()
        again = submission_sweep()  # a second pass right after sends nothing twice
    assert sorted(report.requeued) == sorted([lost.pk, scoring.pk])
    assert sorted(report.failed) == sorted([ancient.pk, overdue.pk])
    assert again.requeued == [] and again.failed == []
    assert rig.redis.queue_length("cpu") == 1  # the lost run, really in Redis
    assert rig.redis.queue_length("score") == 1  # and one score, on its own queue
    for pk in (ancient.pk, overdue.pk):
        row = Submission.objects.get(pk=pk)
        assert (row.status, row.failure_code) == (Status.FAILED, "platform_timeout")
        assert "does not count against your quota" in row.failure_reason
    usage = submission_quota_usage(team=people.team, track=track, now=now)
    assert usage.total == 3, "the two platform timeouts are not counted"

"""One lease and heartbeat state machine for every container: pipeline, OOD and audit runs.

Row-level tests on real PostgreSQL drive the services an agent's API calls reach, and record
what would be sent (the broker's send is the only thing replaced there); the last test goes
through the real processes (web server, score worker, run agent), from an OOD run whose agent
died to its Result.
"""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from benchmarks.models import Split
from runs.models import RunJob
from runs.services import (
    agent_credential_create,
    runjob_claim,
    runjob_finish,
    runjob_heartbeat,
)
from submissions.models import Result, SplitRun, Status, Submission
from submissions.ood import ood_run_enqueue, ood_runs_sweep
from submissions.sweeper import submission_sweep
from tests.runs.jobs import queued_run_job

LEASE = timedelta(seconds=settings.FORGERYBENCH_RUN_LEASE_SECONDS)
REQUEUE_QUEUED = timedelta(seconds=settings.FORGERYBENCH_REQUEUE_QUEUED_SECONDS)
REQUEUE_SCORING = timedelta(seconds=settings.FORGERYBENCH_REQUEUE_SCORING_SECONDS)


def _finished(people, track, image_id: str = "sha256:x") -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="x",
        image_id=image_id,
        status=Status.FINISHED,
    )


def _ood(submission: Submission) -> Split:
    return submission.track.splits.get(visibility=Split.Visibility.OOD)


def _ood_job(people, track) -> RunJob:  # type: ignore[no-untyped-def]
    submission = _finished(people, track)
    assert ood_run_enqueue(submission=submission, split=_ood(submission))
    return RunJob.objects.get(submission=submission, kind="ood")


def _sent(capture, call) -> list:  # type: ignore[no-untyped-def]
    """Run `call`, executing its on-commit sends; the (task, args, queue) it sent."""
    with mock.patch("forgerybench_site.celery.app.send_task") as send, capture(execute=True):
        call()
    return [(c.args[0], c.args[1], c.kwargs.get("queue")) for c in send.call_args_list]


@pytest.mark.django_db
def test_a_job_is_claimed_once_and_only_its_holder_beats_or_reports(people, smoke_track) -> None:
    job = _ood_job(people, smoke_track)
    mine, _ = agent_credential_create(name="a", queues=["cpu", "gpu"])
    other, _ = agent_credential_create(name="b", queues=["cpu", "gpu"])
    first = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:1")
    assert first.job is not None and first.attempt
    # A duplicate message, on another agent: refused, and it learns nothing of the holder.
    second = runjob_claim(job_id=job.pk, credential=other, owner="host-b:2")
    assert second.job is None and second.owner == ""
    # Only the holder, under its attempt token, beats.
    assert runjob_heartbeat(job_id=job.pk, credential=mine, attempt=first.attempt)
    assert not runjob_heartbeat(job_id=job.pk, credential=other, attempt=first.attempt)
    assert not runjob_heartbeat(job_id=job.pk, credential=mine, attempt="guess")
    # The other credential cannot take it over, even naming the holder.
    taken = runjob_claim(
        job_id=job.pk, credential=other, owner="host-b:2", takeover_from="host-a:1"
    )
    assert taken.job is None
    refused = runjob_finish(
        job_id=job.pk, credential=other, attempt=first.attempt, body={"outcome": "nonzero_exit"}
    )
    assert not refused.ok
    run = SplitRun.objects.get(submission=job.submission, split=job.split)
    assert run.outcome == "running" and run.run_owner == "host-a:1"


@pytest.mark.django_db
def test_the_same_credential_takes_over_from_its_own_dead_process(people, smoke_track) -> None:
    job = _ood_job(people, smoke_track)
    mine, _ = agent_credential_create(name="a", queues=["cpu", "gpu"])
    first = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:1")
    refused = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:2")
    assert refused.job is None and refused.owner == "host-a:1"
    taken = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:2", takeover_from="host-a:1")
    assert taken.job is not None and taken.attempt != first.attempt
    # The old attempt is spent: its beat is told to stop, its report is refused.
    assert not runjob_heartbeat(job_id=job.pk, credential=mine, attempt=first.attempt)
    body = {"outcome": "nonzero_exit", "message": "late"}
    assert not runjob_finish(job_id=job.pk, credential=mine, attempt=first.attempt, body=body).ok
    assert runjob_finish(job_id=job.pk, credential=mine, attempt=taken.attempt, body=body).ok
    # The same report again (an answer lost on the way): accepted, nothing changes.
    again = runjob_finish(job_id=job.pk, credential=mine, attempt=taken.attempt, body=body)
    assert again.ok and again.already
    job.refresh_from_db()
    assert (job.state, job.outcome, job.attempt) == ("done", "nonzero_exit", 2)
    assert SplitRun.objects.get(submission=job.submission, split=job.split).outcome == (
        "nonzero_exit"
    )


@pytest.mark.django_db
def test_a_completed_report_needs_its_bundle(people, smoke_track) -> None:
    job = _ood_job(people, smoke_track)
    mine, _ = agent_credential_create(name="a", queues=["cpu", "gpu"])
    claim = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:1")
    answer = runjob_finish(
        job_id=job.pk, credential=mine, attempt=claim.attempt, body={"outcome": "completed"}
    )
    assert not answer.ok and "bundle" in answer.detail
    job.refresh_from_db()
    assert job.state == "running"


@pytest.mark.django_db
def test_a_silent_agents_job_is_queued_again_under_a_new_attempt_and_sent_once(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    dead, live = _ood_job(people, smoke_track), _ood_job(people, smoke_track)
    mine, _ = agent_credential_create(name="a", queues=["cpu", "gpu"])
    lost = runjob_claim(job_id=dead.pk, credential=mine, owner="gone:1")
    runjob_claim(job_id=live.pk, credential=mine, owner="alive:1")
    RunJob.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - LEASE * 3)
    sent = _sent(django_capture_on_commit_callbacks, submission_sweep)
    assert sent == [("runagent.run", (dead.pk,), "cpu")]
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.state, dead.lease_owner, dead.attempt_token) == ("queued", "", "")
    assert live.state == "running" and live.lease_owner == "alive:1"
    # The lost attempt's late report changes nothing.
    late = {"outcome": "nonzero_exit"}
    assert not runjob_finish(job_id=dead.pk, credential=mine, attempt=lost.attempt, body=late).ok
    again = runjob_claim(job_id=dead.pk, credential=mine, owner="new:1")
    assert again.job is not None and again.job.attempt == 2


@pytest.mark.django_db
def test_a_queued_job_whose_message_is_old_is_sent_again_once(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    lost, fresh = _ood_job(people, smoke_track), _ood_job(people, smoke_track)
    RunJob.objects.filter(pk=lost.pk).update(last_sent_at=timezone.now() - REQUEUE_QUEUED * 2)
    sent = _sent(django_capture_on_commit_callbacks, submission_sweep)
    assert sent == [("runagent.run", (lost.pk,), "cpu")]
    assert fresh.pk not in [s[1][0] for s in sent]
    # Its send time moved: the next pass leaves it alone.
    assert _sent(django_capture_on_commit_callbacks, submission_sweep) == []


@pytest.mark.django_db
def test_a_cancelled_submissions_job_is_refused_and_its_agent_told_to_stop(
    people, smoke_track
) -> None:
    job = queued_run_job(people, smoke_track, send=True)
    submission, split = job.submission, job.split
    mine, _ = agent_credential_create(name="a", queues=["cpu", "gpu"])
    claim = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:1")
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING and submission.run_owner == "host-a:1"
    assert runjob_heartbeat(job_id=job.pk, credential=mine, attempt=claim.attempt)
    Submission.objects.filter(pk=submission.pk).update(status=Status.CANCELLED)
    assert not runjob_heartbeat(job_id=job.pk, credential=mine, attempt=claim.attempt)
    # The stopped run's report is kept (log, measurements), as a cancelled run, not scored.
    body = {"outcome": "cancelled", "log_tail": "step 1 of 9\n", "peak_memory_bytes": 7}
    assert runjob_finish(job_id=job.pk, credential=mine, attempt=claim.attempt, body=body).ok
    run = SplitRun.objects.get(submission=submission, split=split)
    assert run.outcome == "cancelled" and run.peak_memory_bytes == 7
    assert run.log_tail.startswith("step 1 of 9")
    assert not Result.objects.filter(submission=submission).exists()


@pytest.mark.django_db
def test_a_run_cancelled_while_running_keeps_its_late_report_once(people, smoke_track) -> None:
    from runs.services import runjob_cancel

    job = queued_run_job(people, smoke_track, send=True)
    submission, split = job.submission, job.split
    mine, _ = agent_credential_create(name="a", queues=["cpu", "gpu"])
    other, _ = agent_credential_create(name="b", queues=["cpu", "gpu"])
    claim = runjob_claim(job_id=job.pk, credential=mine, owner="host-a:1")
    Submission.objects.filter(pk=submission.pk).update(status=Status.CANCELLED)
    assert runjob_cancel(submission_id=submission.pk) == 1  # the job is cancelled at once
    # Another credential, or a guessed attempt, cannot write the cancelled run's record.
    late = {"outcome": "completed", "log_tail": "done early\n", "exit_code": 0}
    assert not runjob_finish(job_id=job.pk, credential=other, attempt=claim.attempt, body=late).ok
    assert not runjob_finish(job_id=job.pk, credential=mine, attempt="guess", body=late).ok
    assert not SplitRun.objects.filter(submission=submission).exists()
    # Its holder's late report (here: the container had just ended) is kept as cancelled.
    answer = runjob_finish(job_id=job.pk, credential=mine, attempt=claim.attempt, body=late)
    assert answer.ok and answer.already
    job.refresh_from_db()
    assert (job.state, job.outcome) == ("cancelled", "cancelled")
    assert "the container had ended: completed" in job.message
    run = SplitRun.objects.get(submission=submission, split=split)
    assert run.outcome == "cancelled" and run.exit_code == 0
    assert "done early" in run.log_tail and "[platform] stopped" in run.log_tail
    # A repeat changes nothing; no Result, and the submission stays cancelled.
    again = {"outcome": "cancelled", "log_tail": "other\n"}
    assert runjob_finish(job_id=job.pk, credential=mine, attempt=claim.attempt, body=again).ok
    assert SplitRun.objects.get(pk=run.pk).log_tail == run.log_tail
    assert SplitRun.objects.filter(submission=submission).count() == 1
    assert not Result.objects.filter(submission=submission).exists()
    submission.refresh_from_db()
    assert submission.status == Status.CANCELLED


@pytest.mark.django_db
def test_a_completed_ood_run_without_its_result_gets_its_score_message_again(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    old = timezone.now() - REQUEUE_SCORING * 2

    def run(outcome: str, sent_at):  # type: ignore[no-untyped-def]
        submission = _finished(people, smoke_track)
        return SplitRun.objects.create(
            submission=submission,
            split=_ood(submission),
            outcome=outcome,
            runtime_flags={},
            last_sent_at=sent_at,
        )

    lost, scored = run("completed", old), run("completed", old)
    Result.objects.create(
        submission_id=scored.submission_id,
        split_id=scored.split_id,
        metrics={},
        protocol_version=1,
        evaluator_version="x",
    )
    recent, failed = run("completed", timezone.now()), run("nonzero_exit", old)
    reports = []
    sent = _sent(
        django_capture_on_commit_callbacks,
        lambda: reports.append(ood_runs_sweep(now=timezone.now())),
    )
    assert reports[0].rescored == [lost.pk]
    assert sent == [("submissions.ood_score", (lost.submission_id, lost.split_id), "score")]
    assert {recent.pk, failed.pk, scored.pk}.isdisjoint(reports[0].rescored)


@pytest.mark.e2e
@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_an_ood_run_left_by_a_dead_agent_is_finished_by_a_real_agent(
    celery_worker, people, smoke_track, baseline_image
) -> None:
    submission = _finished(people, smoke_track, image_id=baseline_image("sanity"))
    split = _ood(submission)
    with mock.patch("forgerybench_site.celery.app.send_task"):  # its message is lost
        assert ood_run_enqueue(submission=submission, split=split)
    job = RunJob.objects.get(submission=submission, kind="ood")
    gone, _ = agent_credential_create(name="gone", queues=["cpu", "gpu"])
    assert runjob_claim(job_id=job.pk, credential=gone, owner="gone:1").job is not None
    RunJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - LEASE * 3)
    report = submission_sweep()
    assert report.jobs_requeued == [job.pk]
    deadline = time.monotonic() + 300
    while not Result.objects.filter(submission=submission, split=split).exists():
        assert time.monotonic() < deadline, "the recovered OOD run was not scored in time"
        time.sleep(0.5)
    run = SplitRun.objects.get(submission=submission, split=split)
    job.refresh_from_db()
    assert run.outcome == "completed" and run.run_owner.startswith(celery_worker.name)
    assert job.attempt == 2 and job.credential is not None
    assert job.credential.name == celery_worker.name
    assert Result.objects.filter(submission=submission).count() == 1

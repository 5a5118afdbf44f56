"""The sweeper recovers OOD runs: a lost message, a killed worker, a lost score message.

Row-level tests on real PostgreSQL record what would be sent (the broker's send is the only
thing replaced there); the orphan test uses the real Docker engine, and the last one goes
through the real Celery worker, from a run whose worker died to its Result.
"""

import contextlib
import time
from datetime import timedelta
from unittest import mock

import docker
import pytest
from django.conf import settings
from django.utils import timezone

from benchmarks.models import Split
from submissions.models import Result, SplitRun, Status, Submission
from submissions.ood import OOD_LABEL, _ood_claim, ood_runs_sweep
from submissions.sweeper import submission_remove_orphans, submission_sweep

LEASE = timedelta(seconds=settings.FORGERYBENCH_RUN_LEASE_SECONDS)
REQUEUE_QUEUED = timedelta(seconds=settings.FORGERYBENCH_REQUEUE_QUEUED_SECONDS)
REQUEUE_SCORING = timedelta(seconds=settings.FORGERYBENCH_REQUEUE_SCORING_SECONDS)
DEAD_OWNER = "a-host-long-gone:4242"
OTHER_LIVE_OWNER = "another-host:17"


def _finished(people, track, image_id: str = "sha256:x") -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=people.team,
        track=track,
        method_name="m",
        training_data="x",
        image_id=image_id,
        status=Status.FINISHED,
    )


def _run(submission: Submission, outcome: str, **fields: object) -> SplitRun:
    ood = submission.track.splits.get(visibility=Split.Visibility.OOD)
    return SplitRun.objects.create(
        submission=submission, split=ood, outcome=outcome, runtime_flags={}, **fields
    )


def _sweep(capture) -> tuple:  # type: ignore[no-untyped-def]
    with (
        mock.patch("submissions.ood_tasks.run_ood_split.apply_async") as run,
        mock.patch("submissions.ood_tasks.score_ood_split.apply_async") as score,
        capture(execute=True),
    ):
        report = ood_runs_sweep(now=timezone.now())
    return (
        report,
        [c.args[0] for c in run.call_args_list],
        [c.args[0] for c in score.call_args_list],
    )


@pytest.mark.django_db
def test_a_queued_run_whose_message_is_old_is_sent_again_once(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    now = timezone.now()
    lost = _run(_finished(people, smoke_track), "queued", last_sent_at=now - REQUEUE_QUEUED * 2)
    fresh = _run(_finished(people, smoke_track), "queued", last_sent_at=now)
    report, runs, scores = _sweep(django_capture_on_commit_callbacks)
    assert report.resent == [lost.pk] and not report.requeued and not scores
    assert runs == [(lost.submission_id, lost.split_id)]
    assert fresh.pk not in report.resent
    # Its send time moved: the next pass leaves it alone.
    report, runs, _ = _sweep(django_capture_on_commit_callbacks)
    assert not report.resent and not runs


@pytest.mark.django_db
def test_a_running_run_whose_owner_stopped_beating_is_queued_again_and_claimed_once(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    old = timezone.now() - LEASE * 3
    dead = _run(
        _finished(people, smoke_track),
        "running",
        run_owner=DEAD_OWNER,
        started_at=old,
        heartbeat_at=old,
        last_sent_at=old,
    )
    live = _run(
        _finished(people, smoke_track),
        "running",
        run_owner=DEAD_OWNER,
        started_at=old,
        heartbeat_at=timezone.now(),
        last_sent_at=old,
    )
    report, runs, _ = _sweep(django_capture_on_commit_callbacks)
    assert report.requeued == [dead.pk] and not report.resent
    assert runs == [(dead.submission_id, dead.split_id)]
    dead.refresh_from_db()
    live.refresh_from_db()
    assert (dead.outcome, dead.run_owner, dead.heartbeat_at) == ("queued", "", None)
    assert live.outcome == "running" and live.run_owner == DEAD_OWNER, "a live owner keeps it"
    # Two deliveries of the resent message: the first claims it; once that worker (here: on
    # another machine) beats, the second finds a live owner and does nothing.
    assert _ood_claim(submission_id=dead.submission_id, split_id=dead.split_id) is not None
    SplitRun.objects.filter(pk=dead.pk).update(run_owner=OTHER_LIVE_OWNER)
    assert _ood_claim(submission_id=dead.submission_id, split_id=dead.split_id) is None
    dead.refresh_from_db()
    assert dead.outcome == "running" and dead.run_owner == OTHER_LIVE_OWNER
    assert SplitRun.objects.filter(submission_id=dead.submission_id).count() == 1


@pytest.mark.django_db
def test_a_redelivered_message_takes_over_only_from_a_dead_owner(people, smoke_track) -> None:
    old = timezone.now() - LEASE * 3
    run = _run(_finished(people, smoke_track), "running", run_owner=DEAD_OWNER, heartbeat_at=old)
    live = _run(
        _finished(people, smoke_track),
        "running",
        run_owner=OTHER_LIVE_OWNER,
        heartbeat_at=timezone.now(),
    )
    taker = _ood_claim(submission_id=run.submission_id, split_id=run.split_id)
    assert taker is not None and taker != DEAD_OWNER
    run.refresh_from_db()
    assert run.run_owner == taker and run.outcome == "running"
    # A live owner on another machine (it beats): nobody takes the run from it.
    assert _ood_claim(submission_id=live.submission_id, split_id=live.split_id) is None
    live.refresh_from_db()
    assert live.run_owner == OTHER_LIVE_OWNER


@pytest.mark.django_db
def test_a_completed_run_without_its_result_gets_its_score_message_again(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    old = timezone.now() - REQUEUE_SCORING * 2
    lost = _run(_finished(people, smoke_track), "completed", last_sent_at=old)
    scored = _run(_finished(people, smoke_track), "completed", last_sent_at=old)
    Result.objects.create(
        submission_id=scored.submission_id,
        split_id=scored.split_id,
        metrics={},
        protocol_version=1,
        evaluator_version="x",
    )
    recent = _run(_finished(people, smoke_track), "completed", last_sent_at=timezone.now())
    failed = _run(_finished(people, smoke_track), "nonzero_exit", last_sent_at=old)
    report, runs, scores = _sweep(django_capture_on_commit_callbacks)
    assert report.rescored == [lost.pk] and not runs
    assert scores == [(lost.submission_id, lost.split_id)]
    assert {recent.pk, failed.pk, scored.pk}.isdisjoint(report.rescored)


@pytest.mark.django_db
def test_the_sweep_report_counts_ood_runs(
    people, smoke_track, django_capture_on_commit_callbacks
) -> None:
    old = timezone.now() - LEASE * 3 - REQUEUE_QUEUED - REQUEUE_SCORING
    queued = _run(_finished(people, smoke_track), "queued", last_sent_at=old)
    running = _run(
        _finished(people, smoke_track), "running", run_owner=DEAD_OWNER, heartbeat_at=old
    )
    completed = _run(_finished(people, smoke_track), "completed", last_sent_at=old)
    with (
        mock.patch("submissions.ood_tasks.run_ood_split.apply_async"),
        mock.patch("submissions.ood_tasks.score_ood_split.apply_async"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = submission_sweep()
    assert (report.ood_resent, report.ood_requeued, report.ood_rescored) == (
        [queued.pk],
        [running.pk],
        [completed.pk],
    )


@pytest.mark.docker
@pytest.mark.django_db
def test_the_orphan_scan_keeps_live_ood_containers_and_removes_dead_ones(
    people, smoke_track, docker_client: docker.DockerClient
) -> None:
    now = timezone.now()
    live = _run(_finished(people, smoke_track), "running", run_owner="w:1", heartbeat_at=now)
    dead = _run(
        _finished(people, smoke_track),
        "running",
        run_owner=DEAD_OWNER,
        heartbeat_at=now - LEASE * 3,
    )
    containers = {}
    for run in (live, dead):
        containers[run.pk] = docker_client.containers.create(
            "forgerybench/base:latest",
            ["sleep", "60"],
            name=f"forgerybench-run-{settings.FORGERYBENCH_INSTANCE}-sweep-{run.submission_id}",
            labels={
                OOD_LABEL: str(run.submission_id),
                "org.forgerybench.instance": settings.FORGERYBENCH_INSTANCE,
            },
            network_mode="none",
        )
    try:
        removed = submission_remove_orphans(client=docker_client, now=now)
        assert removed == [containers[dead.pk].name]
        containers[live.pk].reload()  # still there
        with pytest.raises(docker.errors.NotFound):
            containers[dead.pk].reload()
    finally:
        for container in containers.values():
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)


@pytest.mark.e2e
@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
def test_a_run_left_by_a_killed_worker_is_finished_by_the_real_worker(
    celery_worker, people, smoke_track, baseline_image
) -> None:
    image_id = baseline_image("sanity")
    submission = _finished(people, smoke_track, image_id=image_id)
    old = timezone.now() - LEASE * 3
    run = _run(submission, "running", run_owner=DEAD_OWNER, started_at=old, heartbeat_at=old)
    report = submission_sweep()
    assert report.ood_requeued == [run.pk]
    deadline = time.monotonic() + 300
    while not Result.objects.filter(submission=submission, split_id=run.split_id).exists():
        assert time.monotonic() < deadline, "the recovered OOD run was not scored in time"
        time.sleep(0.5)
    run.refresh_from_db()
    assert run.outcome == "completed" and run.run_owner not in ("", DEAD_OWNER)
    assert Result.objects.filter(submission=submission).count() == 1

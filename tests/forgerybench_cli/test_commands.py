"""login, benchmarks, leaderboard, status, logs: against a live server."""

import json
import stat

import pytest

from submissions.models import SplitRun, Status, Submission

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_login_stores_the_token_for_its_owner_only(cli, live_server, people, token_for, tmp_path):
    key = token_for(people.owner)
    result = cli("login", "--server", live_server.url, "--token", key)
    assert result.exit_code == 0, result.output
    assert "owner" in result.output and "team-owl" in result.output
    config = tmp_path / "config" / "config.json"
    assert json.loads(config.read_text()) == {"server": live_server.url, "token": key}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600


def test_login_with_a_bad_token_says_so(cli, live_server, db):
    result = cli("login", "--server", live_server.url, "--token", "fbk_nope")
    assert result.exit_code == 2
    assert "bad_token" in result.output
    assert "Traceback" not in result.output


def test_benchmarks_and_leaderboard(cli, live_server, smoke_track):
    result = cli("benchmarks", FORGERYBENCH_SERVER=live_server.url)
    assert result.exit_code == 0, result.output
    assert "smoke-detect/image" in result.output and "synthetic" in result.output
    board = cli("leaderboard", "smoke-detect/image", FORGERYBENCH_SERVER=live_server.url)
    assert board.exit_code == 0, board.output
    assert "results not published yet" in board.output
    missing = cli("leaderboard", "smoke-detect/nope", FORGERYBENCH_SERVER=live_server.url)
    assert missing.exit_code == 2 and "track_not_found" in missing.output


def test_status_and_logs_respect_teams(cli, live_server, people, smoke_track, token_for):
    submission = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        submitted_by=people.owner,
        method_name="Crashy",
        training_data="other: none",
        image_id="sha256:" + "2" * 64,
        status=Status.FAILED,
        failure_code="nonzero_exit",
        failure_reason="val: the container exited with code 3",
    )
    SplitRun.objects.create(
        submission=submission,
        split=smoke_track.splits.get(name="val"),
        outcome="nonzero_exit",
        exit_code=3,
        log_tail="boom: model file missing",
    )
    owner = {"FORGERYBENCH_SERVER": live_server.url, "FORGERYBENCH_TOKEN": token_for(people.owner)}
    listed = cli("status", **owner)
    assert listed.exit_code == 0 and "Crashy" in listed.output
    one = cli("status", str(submission.pk), "--watch", **owner)
    assert one.exit_code == 1, "a failed submission exits 1"
    assert "nonzero_exit" in one.output and "exited with code 3" in one.output
    logs = cli("logs", str(submission.pk), **owner)
    assert logs.exit_code == 0 and "boom: model file missing" in logs.output
    outsider = {**owner, "FORGERYBENCH_TOKEN": token_for(people.outsider)}
    refused = cli("logs", str(submission.pk), **outsider)
    assert refused.exit_code == 2 and "not_your_team" in refused.output
    assert "boom" not in refused.output


def test_status_shows_the_queues_and_the_agents_serving_them(
    cli, live_server, people, smoke_track, token_for
):
    from django.utils import timezone

    from runs.models import AgentPresence
    from runs.services import agent_credential_create

    credential, _ = agent_credential_create(name="gpu-box-1", queues=["cpu", "gpu"])
    now = timezone.now()
    AgentPresence.objects.create(
        credential=credential,
        name="gpu-box-1",
        queues=["cpu"],
        slots=2,
        busy=1,
        first_seen_at=now,
        last_seen_at=now,
    )
    queued = Submission.objects.create(
        team=people.team,
        track=smoke_track,
        submitted_by=people.owner,
        method_name="Waiting",
        training_data="other: none",
        image_id="sha256:" + "3" * 64,
        status=Status.QUEUED,
        queued_at=now,
    )
    owner = {"FORGERYBENCH_SERVER": live_server.url, "FORGERYBENCH_TOKEN": token_for(people.owner)}
    listed = cli("status", **owner)
    assert listed.exit_code == 0, listed.output
    assert "queue cpu: 1 waiting, 0 running; workers: 1 busy (serving)" in listed.output
    assert "queue gpu: 0 waiting, 0 running; workers: none seen" in listed.output
    assert "gpu-box-1" not in listed.output  # names are for organizers, on the site
    one = cli("status", str(queued.pk), **owner)
    assert one.exit_code == 0, one.output
    assert "position 1" in one.output and "workers on cpu: 1 busy" in one.output

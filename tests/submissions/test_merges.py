"""Team merges: an organizer's action, refused unless the merged team fits its quota."""

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import team_create
from audit.models import AuditEntry
from benchmarks.models import Track
from submissions.merges import TeamMergeRefused, team_merge
from submissions.models import Status, Submission
from submissions.selectors import submission_quota_usage
from submissions.team_rule import team_submission_refusal

pytestmark = pytest.mark.django_db


def _rows(team, track, n: int) -> None:
    for _ in range(n):
        Submission.objects.create(
            team=team,
            track=track,
            method_name="m",
            training_data="x",
            image_id="sha256:x",
            status=Status.FINISHED,
        )


def test_a_merge_must_fit_the_quota_then_counts_both_teams_as_one(people, smoke_track) -> None:
    lark = team_create(name="Team Lark", owner=people.outsider)
    _rows(people.team, smoke_track, 2)
    _rows(lark, smoke_track, 2)
    Track.objects.filter(pk=smoke_track.pk).update(
        total_submission_limit=3, daily_submission_limit=3
    )
    with pytest.raises(TeamMergeRefused) as refused:
        team_merge(into=people.team, other=lark, user=people.organizer, reason="same lab")
    text = str(refused.value)
    assert "4 submissions count together, over the total quota of 3" in text
    assert f"4 submissions count together on {timezone.now():%Y-%m-%d}" in text
    lark.refresh_from_db()
    assert lark.merged_into is None and lark.memberships.count() == 1, "nothing changed"

    Track.objects.filter(pk=smoke_track.pk).update(
        total_submission_limit=4, daily_submission_limit=None
    )
    with pytest.raises(PermissionError):
        team_merge(into=people.team, other=lark, user=people.owner, reason="x")
    team_merge(into=people.team, other=lark, user=people.organizer, reason="same lab")
    lark.refresh_from_db()
    assert lark.merged_into == people.team and not lark.memberships.exists()
    assert people.team.memberships.filter(user=people.outsider).exists()
    smoke_track.refresh_from_db()
    usage = submission_quota_usage(team=people.team, track=smoke_track, now=timezone.now())
    assert usage.total == 4, "the merged team's past submissions count against its quota"
    refusal = team_submission_refusal(
        team=lark,
        benchmark_id=smoke_track.benchmark_id,
        benchmark_name="Smoke-Detect",
        user=None,
        now=timezone.now(),
    )
    assert refusal is not None and "merged into Team Owl" in refusal
    entry = AuditEntry.objects.get(action="teams_merged")
    assert (entry.actor, entry.reason, entry.payload["merged"]) == (
        "organizer",
        "same lab",
        "team-lark",
    )


def test_the_console_merges_for_organizers_only(people, smoke_track) -> None:
    lark = team_create(name="Team Lark", owner=people.outsider)
    client = Client()
    client.force_login(people.owner)
    form = {"other": lark.pk, "into": people.team.pk, "reason": "one lab"}
    assert client.post("/organize/teams/merge/", form).status_code == 302  # to the login page
    lark.refresh_from_db()
    assert lark.merged_into is None
    client.force_login(people.organizer)
    assert client.get("/organize/teams/merge/").status_code == 200
    same = client.post("/organize/teams/merge/", {**form, "other": people.team.pk})
    assert same.status_code == 400 and "cannot be merged into itself" in same.content.decode()
    assert client.post("/organize/teams/merge/", form).status_code == 302
    lark.refresh_from_db()
    assert lark.merged_into == people.team

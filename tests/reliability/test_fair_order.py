"""Fair order across teams, for real: Redis priorities and a real worker.

Team A queues 8 runs, then team B queues 2, all before a worker is up. First come, first served
would start B's runs last; the per-team priority (submissions.fairness) starts each team's
oldest run first, so B's two runs start among the first four.
"""

import pytest

from accounts.services import team_create, user_create
from submissions.models import Status, Submission
from submissions.services import submission_create_from_image

from .conftest import client_broker, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.e2e]


def _queue(rig, team, user, image: str, count: int) -> list[int]:
    return [
        submission_create_from_image(
            team=team,
            track=rig.track,
            user=user,
            image_reference=image,
            method_name=f"burst {n}",
            training_data="other: none",
        ).pk
        for n in range(count)
    ]


def test_a_team_that_queues_a_burst_first_does_not_starve_a_later_team(rig, baseline_image) -> None:
    image = baseline_image("sanity")
    late_owner = user_create(username="late-owner", password="pw-late-owner-123")
    late_team = team_create(name="Team Late", owner=late_owner)
    with client_broker(rig.redis.url):
        burst = _queue(rig, rig.people.team, rig.people.owner, image, 8)
        late = _queue(rig, late_team, late_owner, image, 2)
    assert rig.redis.queue_length("cpu") == 10
    # The burst's 5th to 8th runs wait at level 3; the late team's runs at 0 and 1.
    assert rig.redis.queue_length("cpu:3") == 4
    worker = rig.workers.start(broker_url=rig.redis.url, database_url=rig.database_url, name="fair")
    ids = burst + late
    wait_for(
        lambda: Submission.objects.filter(pk__in=ids, status=Status.FINISHED).count() == 10,
        240,
        "all ten submissions to finish",
    )
    started = list(
        Submission.objects.filter(pk__in=ids).order_by("running_at").values_list("pk", flat=True)
    )
    ranks = {pk: started.index(pk) for pk in ids}
    assert max(ranks[pk] for pk in late) <= 3, (started, burst, late, worker.text()[-2000:])
    # Within a team, its own runs still start in the order it queued them.
    assert [pk for pk in started if pk in burst] == burst
    assert [pk for pk in started if pk in late] == late

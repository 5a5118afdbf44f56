"""One person, one quota: a person takes part through at most one team per benchmark phase."""

import pytest

from accounts.models import Membership
from accounts.services import TeamRuleRefused, team_add_member, team_create
from benchmarks.models import Phase
from submissions.models import Submission
from submissions.services import SubmissionRejected, submission_create_from_image

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def _submit(team, track, user, image: str) -> Submission:
    return submission_create_from_image(
        team=team,
        track=track,
        user=user,
        image_reference=image,
        method_name="m",
        training_data="other: none",
    )


def test_a_second_team_with_the_same_person_is_refused_until_the_phase_relaxes_the_rule(
    people, smoke_track, baseline_image
) -> None:
    image = baseline_image("sanity")
    other = team_create(name="Team Lark", owner=people.outsider)
    team_add_member(team=other, user=people.teammate)  # nobody takes part yet: allowed
    _submit(people.team, smoke_track, people.owner, image)

    with pytest.raises(
        SubmissionRejected, match=r"one person, one team per benchmark phase: teammate .*Team Owl"
    ):
        _submit(other, smoke_track, people.outsider, image)
    assert not Submission.objects.filter(team=other).exists(), "no row for a refusal"

    # Leaving the first team does not free a person who submitted for it in the phase.
    _submit(people.team, smoke_track, people.teammate, image)
    Membership.objects.filter(team=people.team, user=people.teammate).delete()
    with pytest.raises(SubmissionRejected, match="teammate takes part"):
        _submit(other, smoke_track, people.outsider, image)

    Phase.objects.filter(benchmark=smoke_track.benchmark).update(one_team_per_person=False)
    assert _submit(other, smoke_track, people.outsider, image).team == other


def test_joining_a_team_that_takes_part_is_refused_to_a_person_bound_elsewhere(
    people, smoke_track, baseline_image
) -> None:
    image = baseline_image("sanity")
    lark = team_create(name="Team Lark", owner=people.outsider)
    _submit(people.team, smoke_track, people.owner, image)
    _submit(lark, smoke_track, people.outsider, image)
    with pytest.raises(TeamRuleRefused, match=r"owner takes part .*with Team Owl"):
        team_add_member(team=lark, user=people.owner)
    assert not Membership.objects.filter(team=lark, user=people.owner).exists()
    # A team that takes part nowhere yet may take anyone; its first submission then checks.
    heron = team_create(name="Team Heron", owner=people.outsider)
    team_add_member(team=heron, user=people.owner)
    with pytest.raises(SubmissionRejected, match="one person, one team"):
        _submit(heron, smoke_track, people.owner, image)

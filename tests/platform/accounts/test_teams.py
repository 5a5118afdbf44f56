"""Team membership from the site: invitation links and mails, accept and decline, leave,
remove a member, transfer the ownership, and one team per person per benchmark phase."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.invitations import invitation_token_read
from accounts.models import Invitation, Membership
from accounts.selectors import invitation_path
from accounts.services import (
    TeamActionRefused,
    invitation_accept,
    invitation_create,
    team_create,
)
from benchmarks.models import Phase
from notifications.models import Kind, Notification
from notifications.services import invitation_mail_send
from submissions.models import Status, Submission

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _submission(team, track, when=None) -> Submission:  # type: ignore[no-untyped-def]
    submission = Submission.objects.create(
        team=team,
        track=track,
        method_name="m",
        training_data="other: x",
        image_id="sha256:" + "c" * 64,
        status=Status.FINISHED,
    )
    if when is not None:
        Submission.objects.filter(pk=submission.pk).update(created_at=when)
    return submission


def test_an_owner_shares_a_link_and_a_newcomer_accepts_it(people) -> None:
    owner = _client(people.owner)
    assert owner.post(f"/teams/{people.team.slug}/invite/", {"email": ""}).status_code == 302
    invitation = Invitation.objects.get()
    page = owner.get(f"/teams/{people.team.slug}/").content.decode()
    link = re.search(r'value="(http://testserver/invitations/[^"]+/)"', page)
    assert link, "the owner sees the link to share"
    path = link.group(1).removeprefix("http://testserver")
    assert invitation_token_read(path.split("/")[2]) == invitation.pk

    anonymous = Client().get(path).content.decode()
    assert "owner</strong> invites you to join the team" in anonymous
    assert "log in" in anonymous
    newcomer = _client(people.outsider)
    response = newcomer.post(path, {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == f"/teams/{people.team.slug}/"
    assert Membership.objects.get(team=people.team, user=people.outsider).role == "member"
    team_page = newcomer.get(f"/teams/{people.team.slug}/").content.decode()
    assert '<td class="role-owner">Owner</td>' in team_page
    assert team_page.count('<td class="role-member">Member</td>') == 2
    assert Notification.objects.get(user=people.owner, kind=Kind.TEAM).subject == (
        "outsider joined Team Owl"
    )
    # A link serves others until it expires; a member opening it again is told so.
    assert "member of Team Owl already" in newcomer.get(path).content.decode()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    late = _client(people.organizer).post(path, {"answer": "accept"})
    assert late.status_code == 409 and "expired" in late.content.decode()


def test_a_mailed_invitation_arrives_and_is_declined_once(people, mail) -> None:
    people.outsider.email = "outsider@example.org"
    people.outsider.save(update_fields=["email"])
    _client(people.owner).post(
        f"/teams/{people.team.slug}/invite/", {"email": "outsider@example.org"}
    )
    invitation = Invitation.objects.get()
    assert mail.messages() == [], "nothing is mailed inside the request"
    assert invitation_mail_send(invitation_id=invitation.pk)
    assert not invitation_mail_send(invitation_id=invitation.pk), "mailed once"
    (message,) = mail.to("outsider@example.org")
    assert "owner invites you to join Team Owl" in " ".join(message["Subject"].split())
    body = message.get_content()
    # The link is signed when the mail is made (a token carries its second): read it back.
    (path,) = re.findall(r"http://127\.0\.0\.1:8000(/invitations/[^/\s]+/)", body)
    assert invitation_token_read(path.split("/")[2]) == invitation.pk
    assert "unsubscribe" in body.lower()
    # The invitee has an account with that address: the site tells them too.
    assert Notification.objects.filter(user=people.outsider, kind=Kind.TEAM).exists()

    outsider = _client(people.outsider)
    assert outsider.post(path, {"answer": "decline"}).status_code == 302
    assert Invitation.objects.get().declined_at is not None
    again = outsider.post(path, {"answer": "accept"})
    assert again.status_code == 409 and "declined" in again.content.decode()
    assert not Membership.objects.filter(user=people.outsider).exists()


def test_leave_remove_and_transfer_the_ownership(people) -> None:
    owner, teammate = _client(people.owner), _client(people.teammate)
    slug = people.team.slug
    # Only an owner removes; an owner leaves only after handing the team over.
    teammate.post(f"/teams/{slug}/members/{people.owner.pk}/remove/")
    assert Membership.objects.filter(team=people.team).count() == 2
    page = owner.post(f"/teams/{slug}/leave/", follow=True).content.decode()
    assert "transfer the ownership to another member before leaving" in page

    owner.post(f"/teams/{slug}/members/{people.teammate.pk}/owner/")
    roles = dict(Membership.objects.filter(team=people.team).values_list("user__username", "role"))
    assert roles == {"owner": "member", "teammate": "owner"}
    assert Notification.objects.filter(user=people.teammate, kind=Kind.TEAM).exists()

    assert owner.post(f"/teams/{slug}/leave/").status_code == 302
    assert not Membership.objects.filter(team=people.team, user=people.owner).exists()

    team_page = teammate.get(f"/teams/{slug}/").content.decode()
    assert "Make owner" not in team_page  # nobody else left to act on
    invitation = invitation_create(team=people.team, user=people.teammate)
    invitation_accept(invitation=invitation, user=people.outsider)
    teammate.post(f"/teams/{slug}/members/{people.outsider.pk}/remove/")
    assert not Membership.objects.filter(team=people.team, user=people.outsider).exists()
    removed = Notification.objects.get(user=people.outsider, kind=Kind.TEAM)
    assert removed.subject == "You were removed from Team Owl"


def test_one_person_one_team_per_benchmark_phase(people, smoke_track) -> None:
    rivals = team_create(name="Rivals", owner=people.outsider)
    now = timezone.now()
    _submission(people.team, smoke_track)
    _submission(rivals, smoke_track)
    invitation = invitation_create(team=people.team, user=people.owner)
    # Both teams submitted during the smoke benchmark's open phase.
    with pytest.raises(TeamActionRefused, match="phase 'Open' of Smoke-Detect with Rivals"):
        invitation_accept(invitation=invitation, user=people.outsider)
    page = _client(people.outsider).post(
        invitation_path(invitation=invitation), {"answer": "accept"}
    )
    assert page.status_code == 409 and "one team per benchmark phase" in page.content.decode()

    # Without phases the benchmark is one endless phase: still a clash.
    phases = list(Phase.objects.filter(benchmark=smoke_track.benchmark).values())
    Phase.objects.filter(benchmark=smoke_track.benchmark).delete()
    with pytest.raises(TeamActionRefused, match="one person, one team per benchmark phase"):
        invitation_accept(invitation=invitation, user=people.outsider)

    # Teams that took part in different phases do not clash.
    Phase.objects.create(**{**phases[0], "ends_at": now - timedelta(days=10)})
    Phase.objects.create(
        benchmark=smoke_track.benchmark, slug="main", name="Main", starts_at=now - timedelta(days=5)
    )
    Submission.objects.filter(team=rivals).update(created_at=now - timedelta(days=20))
    invitation_accept(invitation=invitation, user=people.outsider)
    assert Membership.objects.filter(team=people.team, user=people.outsider).exists()


def test_forged_and_withdrawn_invitations_are_refused(people) -> None:
    invitation = invitation_create(team=people.team, user=people.owner)
    path = invitation_path(invitation=invitation)
    assert Client().get(path[:-5] + "xxxx/").status_code == 400
    with pytest.raises(PermissionError):
        invitation_create(team=people.team, user=people.teammate)
    _client(people.owner).post(f"/teams/{people.team.slug}/invitations/{invitation.pk}/revoke/")
    response = _client(people.outsider).post(path, {"answer": "accept"})
    assert response.status_code == 409 and "withdrawn" in response.content.decode()

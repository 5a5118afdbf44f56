"""The in-site list, the settings page, and who hears of broadcasts, objections, reveals."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.services import team_create, user_create
from benchmarks.models import Phase, Split
from notifications.models import Kind, Notification, Preference
from review.services import objection_raise
from submissions.models import FinalPick
from submissions.picks import phase_reveal
from tests.support import finished_result

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_unread_count_list_open_and_mark_all_read(people, smoke_track) -> None:
    from notifications.services import notification_create_many

    first, second = (
        notification_create_many(
            users=[people.owner], kind=Kind.BROADCAST, subject=f"hello {n}", body="b", link="/"
        )[0]
        for n in (1, 2)
    )
    client = _client(people.owner)
    page = client.get("/notifications/").content.decode()
    assert "hello 1" in page and "hello 2" in page
    assert 'aria-label="2 unread"' in page
    assert client.get(f"/notifications/{first.pk}/open/").status_code == 302
    assert 'aria-label="1 unread"' in client.get("/").content.decode()
    # Somebody else's notification is not theirs to open.
    assert _client(people.teammate).get(f"/notifications/{second.pk}/open/").status_code == 404
    client.post("/notifications/read/")
    assert not Notification.objects.filter(user=people.owner, read_at__isnull=True).exists()
    assert "unread" not in client.get("/").content.decode().split("</header>")[0]


def test_a_row_written_behind_the_services_back_shows_within_the_cache_lifetime(
    people, monkeypatch
) -> None:
    """The header's count is cached per person (notifications.unread): the services drop it
    at once; any other write is seen once the count expires (UNREAD_SECONDS)."""
    import time

    from notifications import selectors

    monkeypatch.setattr(selectors, "UNREAD_SECONDS", 1)
    client = _client(people.owner)
    assert "unread" not in client.get("/").content.decode().split("</header>")[0]
    Notification.objects.create(user=people.owner, kind=Kind.BROADCAST, subject="s", body="b")
    assert "unread" not in client.get("/").content.decode().split("</header>")[0]
    time.sleep(1.2)
    assert 'aria-label="1 unread"' in client.get("/").content.decode()


def test_preferences_page_saves_frequency_and_kinds(people) -> None:
    client = _client(people.owner)
    response = client.post(
        "/notifications/settings/",
        {"frequency": "daily", "mailed_kinds": ["submission", "broadcast"]},
    )
    assert response.status_code == 302
    preference = Preference.objects.get(user=people.owner)
    assert preference.frequency == "daily"
    assert set(preference.muted_kinds) == {"results", "reveal", "objection", "team"}
    assert client.post("/notifications/settings/", {"frequency": "hourly"}).status_code == 200


def test_only_organizers_broadcast_and_only_participants_hear_it(people, smoke_track, mail) -> None:
    finished_result(
        track=smoke_track,
        split=smoke_track.splits.get(visibility=Split.Visibility.PUBLIC, name="val"),
        team=people.team,
        method="m",
        metrics={"auc": 0.5},
        primary_value=0.5,
    )
    people.owner.email = "owner@example.org"
    people.owner.save(update_fields=["email"])
    url = f"/organize/benchmarks/{smoke_track.benchmark.slug}/broadcast/"
    form = {"subject": "Deadline moved", "body": "The test phase ends a week later."}
    assert _client(people.outsider).post(url, form).status_code == 302  # to the admin login
    assert not Notification.objects.exists()
    response = _client(people.organizer).post(url, form)
    assert response.status_code == 302
    recipients = set(Notification.objects.values_list("user__username", flat=True))
    assert recipients == {"owner", "teammate"}
    from notifications.services import notification_send

    notification_send(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
    (message,) = mail.to("owner@example.org")
    assert "Deadline moved" in message["Subject"]
    assert "The test phase ends a week later." in message.get_content()
    assert "Deadline moved" in _client(people.organizer).get(url).content.decode()


def test_an_objection_is_told_to_the_team_whose_result_it_is(people, smoke_track) -> None:
    result = finished_result(
        track=smoke_track,
        split=smoke_track.splits.get(visibility=Split.Visibility.PUBLIC, name="val"),
        team=people.team,
        method="m",
        metrics={"auc": 0.5},
        primary_value=0.5,
    )
    rival = user_create(username="rival", password="pw-rival-123")
    rivals = team_create(name="Rivals", owner=rival)
    objection_raise(
        result=result, team=rivals, user=rival, rule="protocol §4", evidence="trained on test"
    )
    told = Notification.objects.filter(kind=Kind.OBJECTION)
    assert set(told.values_list("user__username", flat=True)) == {"owner", "teammate"}
    assert "Rivals objected" in told.first().body  # type: ignore[union-attr]
    assert told.first().link == f"/audit/results/{result.pk}/"  # type: ignore[union-attr]


def test_the_reveal_tells_each_team_its_picks(people, smoke_track) -> None:
    result = finished_result(
        track=smoke_track,
        split=smoke_track.splits.get(visibility=Split.Visibility.HIDDEN),
        team=people.team,
        method="m",
        metrics={"auc": 0.7},
        primary_value=0.7,
    )
    phase = Phase.objects.create(
        benchmark=smoke_track.benchmark,
        slug="final",
        name="Final",
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=1),
    )
    phase_reveal(phase=phase, user=people.organizer, reason="phase over")
    assert FinalPick.objects.filter(phase=phase, submission_id=result.submission_id).exists()
    told = Notification.objects.filter(kind=Kind.REVEAL)
    assert set(told.values_list("user__username", flat=True)) == {"owner", "teammate"}
    assert f"#{result.submission_id}" in told.first().body  # type: ignore[union-attr]

"""Notifications mailed through a real SMTP server process (aiosmtpd), read back from its
Maildir: who gets what, what a mail may say, the one-click unsubscribe and the digest."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from benchmarks.models import Split
from benchmarks.services import split_publish_results
from notifications.events import notify_submission_done
from notifications.models import EmailState, Frequency, Kind, Notification
from notifications.services import (
    digest_send_all,
    notification_flush_pending,
    notification_send,
    preference_update,
)
from submissions.models import Status, Submission
from submissions.services import submission_fail
from tests.support import finished_result

pytestmark = [pytest.mark.services, pytest.mark.django_db]


@pytest.fixture
def addressed(people):  # type: ignore[no-untyped-def]
    for user in (people.owner, people.teammate, people.outsider, people.organizer):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    return people


def _send_pending() -> int:
    """What the `notifications.send` task does once the rows are committed."""
    ids = list(
        Notification.objects.filter(email_state=EmailState.PENDING).values_list("pk", flat=True)
    )
    return notification_send(notification_ids=ids)


def _running(people, track) -> Submission:  # type: ignore[no-untyped-def]
    return Submission.objects.create(
        team=people.team,
        track=track,
        method_name="Owl net",
        training_data="other: x",
        image_id="sha256:" + "b" * 64,
        status=Status.RUNNING,
    )


def test_a_failed_submission_is_mailed_to_each_member_and_nobody_else(
    addressed, smoke_track, mail
) -> None:
    submission = _running(addressed, smoke_track)
    assert submission_fail(
        submission_id=submission.pk, code="nonzero_exit", reason="test: exit code 3"
    )
    assert _send_pending() == 2
    assert mail.to("outsider@example.org") == []
    for address in ("owner@example.org", "teammate@example.org"):
        (message,) = mail.to(address)
        assert (
            " ".join(message["Subject"].split())
            == f"[ForgeryBench] Submission #{submission.pk} failed: nonzero_exit"
        )
        body = message.get_content()
        assert "test: exit code 3" in body
        assert f"http://127.0.0.1:8000/submissions/{submission.pk}/" in body
        unsubscribe = message["List-Unsubscribe"].strip("<>")
        assert unsubscribe in body
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # The same rows are never mailed twice (a redelivered task claims nothing).
    assert _send_pending() == 0
    assert (
        notification_send(notification_ids=list(Notification.objects.values_list("pk", flat=True)))
        == 0
    )
    assert len(mail.messages()) == 2


def test_a_mail_never_carries_a_hidden_number_before_publication(
    addressed, smoke_track, mail
) -> None:
    val = smoke_track.splits.get(visibility=Split.Visibility.PUBLIC, name="val")
    test = smoke_track.splits.get(visibility=Split.Visibility.HIDDEN)
    result = finished_result(
        track=smoke_track,
        split=val,
        team=addressed.team,
        method="Owl net",
        metrics={"auc": 0.8123},
        primary_value=0.8123,
    )
    finished_result(
        track=smoke_track,
        split=test,
        team=addressed.team,
        method="Owl net",
        metrics={"auc": 0.9377},
        primary_value=0.9377,
    )
    notify_submission_done(submission_id=result.submission_id)
    _send_pending()
    (message,) = mail.to("owner@example.org")
    body = message.get_content()
    assert "val (public): 0.8123" in body
    assert "test (hidden): scored; its number is shown once" in body
    assert "0.9377" not in body and "0.937" not in body and "93.7" not in body

    mail.clear()
    split_publish_results(split=test, actor="organizer", reason="phase over")
    _send_pending()
    (published,) = mail.to("owner@example.org")
    assert " ".join(published["Subject"].split()).startswith("[ForgeryBench] Results published:")
    assert "0.9377" not in published.get_content()
    assert Notification.objects.filter(kind=Kind.RESULTS).count() == 2  # owner and teammate

    mail.clear()
    notify_submission_done(submission_id=result.submission_id)
    _send_pending()
    assert "test (hidden): 0.9377" in mail.to("owner@example.org")[0].get_content()


def test_the_unsubscribe_link_of_a_delivered_mail_works_in_one_click(
    addressed, smoke_track, mail
) -> None:
    submission_fail(submission_id=_running(addressed, smoke_track).pk, code="timeout", reason="x")
    _send_pending()
    (message,) = mail.to("owner@example.org")
    link = urlsplit(message["List-Unsubscribe"].strip("<>"))
    response = Client().get(link.path)  # no login: the signed token is enough
    assert response.status_code == 200
    assert "You are unsubscribed from mails about" in response.content.decode()
    assert Kind.SUBMISSION in addressed.owner.notification_preference.muted_kinds

    mail.clear()
    submission_fail(submission_id=_running(addressed, smoke_track).pk, code="timeout", reason="y")
    _send_pending()
    assert mail.to("owner@example.org") == []  # muted: still listed on the site
    assert Notification.objects.filter(user=addressed.owner).count() == 2
    assert len(mail.to("teammate@example.org")) == 1

    # RFC 8058: the mail client's own POST works too, and a forged token changes nothing.
    assert Client().post(link.path).status_code == 200
    forged = link.path.replace(link.path.rstrip("/").rsplit(":", 1)[1], "forged")
    assert Client().get(forged).status_code == 400


def test_the_daily_digest_sends_one_mail_with_everything_waiting(
    addressed, smoke_track, mail
) -> None:
    preference_update(user=addressed.owner, frequency=Frequency.DAILY, muted_kinds=[])
    first = _running(addressed, smoke_track)
    second = _running(addressed, smoke_track)
    submission_fail(submission_id=first.pk, code="oom", reason="out of memory")
    submission_fail(submission_id=second.pk, code="timeout", reason="too slow")
    _send_pending()
    assert mail.to("owner@example.org") == []
    assert len(mail.to("teammate@example.org")) == 2  # one mail per event for the teammate
    assert digest_send_all() == 1
    (digest,) = mail.to("owner@example.org")
    assert (
        " ".join(digest["Subject"].split()) == "[ForgeryBench] Your daily digest: 2 notifications"
    )
    body = digest.get_content()
    assert f"Submission #{first.pk} failed: oom" in body
    assert f"Submission #{second.pk} failed: timeout" in body
    assert re.search(r"unsubscribe/[^/\s]+/", body)
    assert digest_send_all() == 0  # nothing waits any more


def test_an_smtp_server_that_is_down_leaves_the_mail_pending_for_a_retry(
    addressed, smoke_track, mail, settings
) -> None:
    submission_fail(submission_id=_running(addressed, smoke_track).pk, code="oom", reason="x")
    working = settings.MAILERS
    settings.MAILERS = {"default": {"OPTIONS": {"host": "127.0.0.1", "port": 1}}}  # nobody there
    with pytest.raises(OSError):
        _send_pending()
    assert Notification.objects.filter(email_state=EmailState.PENDING).count() == 2
    settings.MAILERS = working
    assert notification_flush_pending(older_than=timezone.now() + timedelta(seconds=1)) == 2
    assert len(mail.messages()) == 2


def test_people_without_an_address_or_with_mail_off_get_the_site_list_only(
    people, smoke_track, mail
) -> None:
    people.owner.email = "owner@example.org"
    people.owner.save(update_fields=["email"])
    preference_update(user=people.owner, frequency=Frequency.NEVER, muted_kinds=[])
    submission_fail(submission_id=_running(people, smoke_track).pk, code="oom", reason="x")
    assert _send_pending() == 0
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SKIPPED}
    assert mail.messages() == []


def test_each_person_is_mailed_in_their_own_language(addressed, smoke_track, mail) -> None:
    """The teammate reads Simplified Chinese, the owner the default English: one event, two
    languages, in the mail and in the site's list alike."""
    from notifications.services import preference_set_language

    preference_set_language(user=addressed.teammate, language="zh-hans")
    submission = _running(addressed, smoke_track)
    assert submission_fail(
        submission_id=submission.pk, code="nonzero_exit", reason="test: exit code 3"
    )
    assert _send_pending() == 2
    (english,) = mail.to("owner@example.org")
    (chinese,) = mail.to("teammate@example.org")
    assert " ".join(english["Subject"].split()) == (
        f"[ForgeryBench] Submission #{submission.pk} failed: nonzero_exit"
    )
    assert " ".join(chinese["Subject"].split()) == (
        f"[ForgeryBench] 提交 #{submission.pk} 失败：nonzero_exit"
    )
    english_body, chinese_body = english.get_content(), chinese.get_content()
    assert english_body.startswith("Hello owner,")
    assert "Unsubscribe from these mails in one click" in english_body
    assert chinese_body.startswith("teammate，你好：")
    assert "一键退订此类邮件" in chinese_body and "失败（nonzero_exit）" in chinese_body
    assert "test: exit code 3" in chinese_body  # what the platform recorded stays as it is
    assert "Unsubscribe" not in chinese_body
    listed = Notification.objects.get(user=addressed.teammate)
    assert listed.subject == f"提交 #{submission.pk} 失败：nonzero_exit"

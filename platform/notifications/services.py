"""Writes for notifications: create them, mail them (from Celery tasks only), read, settings.

Mail is never sent inside a request: a notification is a row first; its mail goes out from the
`notifications.send` task queued once the row is committed (or from the periodic flush if that
message was lost), or in the daily digest. Each mail's row is claimed by a conditional UPDATE
(`pending` → `sent`) before the SMTP conversation, so a redelivered task sends nothing twice;
a failed SMTP conversation puts the row back to `pending` for the retry.
"""

import logging
import smtplib
from collections.abc import Iterable
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import mailers
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise

from accounts.models import Invitation
from benchmarks.models import Benchmark

from .mail import digest_message, invitation_message, notification_message
from .models import Broadcast, EmailState, Frequency, Kind, Notification, Preference
from .selectors import benchmark_participants, preference_for_user
from .tokens import ALL_KINDS
from .unread import unread_forget

logger = logging.getLogger(__name__)

SUBJECT_MAX = 200
# The tasks (``tasks``) that mail notifications and invitations, queued by name: the tasks
# import these services, never the reverse. Routed to the score queue (CELERY_TASK_ROUTES).
SEND_TASK = "notifications.send"
INVITATION_TASK = "notifications.invitation"


class NotificationRefused(ValueError):
    """A notification write that cannot be done; the message says why."""


def _email_state(*, user: User, kind: str, preference: Preference | None) -> str:
    if not user.email:
        return EmailState.SKIPPED
    if preference is None:
        return EmailState.PENDING
    if preference.frequency == Frequency.NEVER or kind in preference.muted_kinds:
        return EmailState.SKIPPED
    if preference.frequency == Frequency.DAILY:
        return EmailState.DIGEST
    return EmailState.PENDING


def notification_enqueue_mail(*, notification_ids: list[int]) -> None:
    """Send the mails once the rows are committed; a lost message is sent by the flush."""

    def send() -> None:
        try:
            current_app.send_task(SEND_TASK, (notification_ids,))
        except Exception:
            logger.exception("could not queue mail for notifications %s", notification_ids)

    transaction.on_commit(send)


def language_of(preference: Preference | None) -> str:
    """The language a person reads notifications and mails in (the site's default if unset)."""
    codes = {code for code, _ in settings.LANGUAGES}
    if preference is not None and preference.language in codes:
        return preference.language
    return str(settings.LANGUAGE_CODE)


def notification_create_many(
    *,
    users: Iterable[User],
    kind: str,
    subject: str | Promise,
    body: str | Promise,
    link: str = "",
) -> list[Notification]:
    """One notification per distinct user; mails per each person's settings.

    A lazy subject or body (gettext_lazy, format_lazy) is written in each person's language.
    """
    if kind not in Kind.values:
        raise NotificationRefused(f"unknown notification kind {kind!r}")
    people = {user.pk: user for user in users}
    if not people:
        return []
    preferences = {p.user_id: p for p in Preference.objects.filter(user_id__in=people)}
    texts: dict[str, tuple[str, str]] = {}
    rows = []
    for user in people.values():
        language = language_of(preferences.get(user.pk))
        if language not in texts:
            with translation.override(language):
                texts[language] = (str(subject), str(body))
        subject_text, body_text = texts[language]
        rows.append(
            Notification(
                user=user,
                kind=kind,
                subject=subject_text[:SUBJECT_MAX],
                body=body_text,
                link=link,
                email_state=_email_state(user=user, kind=kind, preference=preferences.get(user.pk)),
            )
        )
    with transaction.atomic():
        created = Notification.objects.bulk_create(rows)
        unread_forget(user_ids=people)
        pending = [n.pk for n in created if n.email_state == EmailState.PENDING]
        if pending:
            notification_enqueue_mail(notification_ids=pending)
    return created


def notification_send(*, notification_ids: list[int]) -> int:
    """Mail the given pending notifications (Celery task only); returns how many went out."""
    claimed = []
    for notification_id in notification_ids:
        if Notification.objects.filter(pk=notification_id, email_state=EmailState.PENDING).update(
            email_state=EmailState.SENT, emailed_at=timezone.now()
        ):
            claimed.append(notification_id)
    if not claimed:
        return 0
    rows = list(Notification.objects.filter(pk__in=claimed).select_related("user"))
    done: list[int] = []
    try:
        with mailers.default as connection:
            for notification in rows:
                try:
                    connection.send_messages([notification_message(notification=notification)])
                except smtplib.SMTPRecipientsRefused:
                    # This address is refused for good: retrying would never end.
                    logger.warning("mail to user %s refused", notification.user_id)
                    Notification.objects.filter(pk=notification.pk).update(
                        email_state=EmailState.FAILED
                    )
                done.append(notification.pk)
    except Exception:
        # Every row not sent yet goes back to pending for the task's retry (or the flush).
        Notification.objects.filter(
            pk__in=[n.pk for n in rows if n.pk not in done], email_state=EmailState.SENT
        ).update(email_state=EmailState.PENDING, emailed_at=None)
        raise
    sent = Notification.objects.filter(pk__in=done, email_state=EmailState.SENT).count()
    return sent


def notification_flush_pending(*, older_than: datetime) -> int:
    """Send mails whose task message was lost (broker down at commit time)."""
    ids = list(
        Notification.objects.filter(
            email_state=EmailState.PENDING, created_at__lt=older_than
        ).values_list("pk", flat=True)[:500]
    )
    return notification_send(notification_ids=ids) if ids else 0


def digest_send(*, user_id: int) -> int:
    """One mail with every notification waiting for this person's digest."""
    with transaction.atomic():
        ids = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(user_id=user_id, email_state=EmailState.DIGEST)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids).update(
            email_state=EmailState.SENT, emailed_at=timezone.now()
        )
    rows = list(
        Notification.objects.filter(pk__in=ids).select_related("user").order_by("created_at")
    )
    user = rows[0].user
    try:
        digest_message(user=user, notifications=rows).send()
    except Exception:
        Notification.objects.filter(pk__in=ids).update(
            email_state=EmailState.DIGEST, emailed_at=None
        )
        raise
    return len(rows)


def digest_send_all() -> int:
    """Send every waiting digest (the daily beat); returns the number of mails."""
    user_ids = (
        Notification.objects.filter(email_state=EmailState.DIGEST)
        .values_list("user_id", flat=True)
        .distinct()
    )
    mails = 0
    for user_id in list(user_ids):
        try:
            mails += 1 if digest_send(user_id=user_id) else 0
        except Exception:
            logger.exception(
                "the digest of user %s could not be sent; it waits for tomorrow", user_id
            )
    return mails


def notification_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark some (or, with None, all) of a person's unread notifications read."""
    rows: QuerySet[Notification] = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    marked = rows.update(read_at=timezone.now())
    if marked:  # nothing changed, nothing to drop (a caller cannot make bumps for free)
        unread_forget(user_ids=[user.pk])
    return marked


def _check_language(language: str) -> None:
    if language and language not in {code for code, _ in settings.LANGUAGES}:
        raise NotificationRefused(f"unknown language {language!r}")


def preference_update(
    *, user: User, frequency: str, muted_kinds: Iterable[str], language: str | None = None
) -> Preference:
    """Save a person's mail settings; language None keeps the one they had."""
    if frequency not in Frequency.values:
        raise NotificationRefused(f"unknown mail frequency {frequency!r}")
    muted = sorted(set(muted_kinds))
    unknown = [kind for kind in muted if kind not in Kind.values]
    if unknown:
        raise NotificationRefused(f"unknown notification kinds: {', '.join(unknown)}")
    defaults: dict[str, object] = {"frequency": frequency, "muted_kinds": muted}
    if language is not None:
        _check_language(language)
        defaults["language"] = language
    preference, _ = Preference.objects.update_or_create(user=user, defaults=defaults)
    _settle_waiting(user=user, preference=preference)
    return preference


def preference_set_language(*, user: User, language: str) -> Preference:
    """The language of a person's notifications and mails (the site's language switch)."""
    _check_language(language)
    preference, _ = Preference.objects.update_or_create(user=user, defaults={"language": language})
    return preference


def _settle_waiting(*, user: User, preference: Preference) -> None:
    """Mails not sent yet follow the new settings: a muted kind's wait ends unsent."""
    waiting = Notification.objects.filter(
        user=user, email_state__in=(EmailState.PENDING, EmailState.DIGEST)
    )
    if preference.frequency == Frequency.NEVER:
        waiting.update(email_state=EmailState.SKIPPED)
        return
    waiting.filter(kind__in=preference.muted_kinds).update(email_state=EmailState.SKIPPED)


def unsubscribe(*, user_id: int, kind: str) -> Preference | None:
    """The signed link's effect: no more mail of that kind ("all": no mail at all)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    current = preference_for_user(user=user)
    if kind == ALL_KINDS or kind not in Kind.values:
        return preference_update(user=user, frequency=Frequency.NEVER, muted_kinds=[])
    return preference_update(
        user=user, frequency=current.frequency, muted_kinds=[*current.muted_kinds, kind]
    )


def broadcast_send(*, benchmark: Benchmark, user: User, subject: str, body: str) -> Broadcast:
    """An organizer's message to every participant of a benchmark (staff only)."""
    if not user.is_staff:
        raise PermissionError("only organizers can write to a benchmark's participants")
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise NotificationRefused("a broadcast needs a subject and a message")
    if len(subject) > SUBJECT_MAX:
        raise NotificationRefused(f"the subject is longer than {SUBJECT_MAX} characters")
    recipients = list(benchmark_participants(benchmark=benchmark))
    with transaction.atomic():
        broadcast = Broadcast.objects.create(
            benchmark=benchmark,
            sent_by=user,
            subject=subject,
            body=body,
            recipients=len(recipients),
        )
        notification_create_many(
            users=recipients,
            kind=Kind.BROADCAST,
            subject=f"{benchmark.name}: {subject}",
            body=f"A message from the organizers of {benchmark.name}:\n\n{body}",
            link=f"/b/{benchmark.slug}/",
        )
    logger.info("broadcast %s to %d participants of %s", broadcast.pk, len(recipients), benchmark)
    return broadcast


def invitation_enqueue_mail(*, invitation_id: int) -> None:
    """Mail a team invitation once its row is committed (the address may have no account)."""

    def send() -> None:
        try:
            current_app.send_task(INVITATION_TASK, (invitation_id,))
        except Exception:
            logger.exception("could not queue the mail of invitation %s", invitation_id)

    transaction.on_commit(send)


def invitation_mail_send(*, invitation_id: int) -> bool:
    """Mail an invitation (Celery task only); claimed first, so it goes out at most once."""
    if not Invitation.objects.filter(
        pk=invitation_id, emailed_at__isnull=True, revoked_at__isnull=True
    ).update(emailed_at=timezone.now()):
        return False
    invitation = Invitation.objects.select_related("team", "created_by").get(pk=invitation_id)
    try:
        invitation_message(invitation=invitation).send()
    except Exception:
        Invitation.objects.filter(pk=invitation_id).update(emailed_at=None)
        raise
    return True

"""Building the mails: one per notification, or one digest of several. No sending here."""

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from accounts.invitations import invitation_token
from accounts.models import Invitation

from .models import Kind, Notification, Preference
from .tokens import ALL_KINDS, unsubscribe_token

SUBJECT_PREFIX = "[ForgeryBench] "


def absolute_url(path: str) -> str:
    """A site path as a link that works from a mail client."""
    if not path:
        return ""
    return settings.FORGERYBENCH_SITE_URL.rstrip("/") + path


def unsubscribe_url(*, user: User, kind: str) -> str:
    token = unsubscribe_token(user_id=user.pk, kind=kind)
    return absolute_url(reverse("notification-unsubscribe", args=[token]))


def mail_language(*, user: User | None) -> str:
    """The language a person's mail is written in: their stored choice, else the default."""
    codes = {code for code, _ in settings.LANGUAGES}
    if user is not None:
        chosen = Preference.objects.filter(user=user).values_list("language", flat=True).first()
        if chosen in codes:
            return str(chosen)
    return str(settings.LANGUAGE_CODE)


def _message(*, user: User, subject: str, body: str, unsubscribe: str) -> EmailMessage:
    # RFC 2369 / RFC 8058: mail clients show their own one-click unsubscribe button.
    headers = {
        "List-Unsubscribe": f"<{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    return EmailMessage(
        subject=SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers=headers,
    )


def notification_message(*, notification: Notification) -> EmailMessage:
    with translation.override(mail_language(user=notification.user)):
        return _notification_message(notification=notification)


def _notification_message(*, notification: Notification) -> EmailMessage:
    user = notification.user
    unsubscribe = unsubscribe_url(user=user, kind=notification.kind)
    body = render_to_string(
        "notifications/email/one.txt",
        {
            "user": user,
            "notification": notification,
            "link": absolute_url(notification.link),
            "preferences": absolute_url(reverse("notification-preferences")),
            "unsubscribe": unsubscribe,
            "kind_label": notification.get_kind_display(),
        },
    )
    return _message(user=user, subject=notification.subject, body=body, unsubscribe=unsubscribe)


def digest_message(*, user: User, notifications: Sequence[Notification]) -> EmailMessage:
    with translation.override(mail_language(user=user)):
        return _digest_message(user=user, notifications=notifications)


def _digest_message(*, user: User, notifications: Sequence[Notification]) -> EmailMessage:
    unsubscribe = unsubscribe_url(user=user, kind=ALL_KINDS)
    body = render_to_string(
        "notifications/email/digest.txt",
        {
            "user": user,
            "items": [(n, absolute_url(n.link)) for n in notifications],
            "preferences": absolute_url(reverse("notification-preferences")),
            "inbox": absolute_url(reverse("notification-list")),
            "unsubscribe": unsubscribe,
        },
    )
    count = len(notifications)
    subject = ngettext(
        "Your daily digest: %(count)d notification",
        "Your daily digest: %(count)d notifications",
        count,
    ) % {"count": count}
    return _message(user=user, subject=subject, body=body, unsubscribe=unsubscribe)


def invitation_message(*, invitation: Invitation) -> EmailMessage:
    """The mail of a team invitation. The address may have no account, so the way out is the
    invitation's own decline link; an address with an account also gets its unsubscribe."""
    account = User.objects.filter(email__iexact=invitation.email, is_active=True).first()
    # The invitee's own language if they have an account, else the inviter's.
    language = mail_language(user=account or invitation.created_by)
    with translation.override(language):
        return _invitation_message(invitation=invitation, account=account)


def _invitation_message(*, invitation: Invitation, account: User | None) -> EmailMessage:
    token = invitation_token(invitation_id=invitation.pk)
    page = absolute_url(reverse("invitation-detail", args=[token]))
    unsubscribe = unsubscribe_url(user=account, kind=Kind.TEAM) if account else page
    body = render_to_string(
        "notifications/email/invitation.txt",
        {
            "invitation": invitation,
            "inviter": invitation.created_by.get_username(),
            "page": page,
            "unsubscribe": unsubscribe if account else "",
            "expires": invitation.expires_at,
        },
    )
    subject = gettext("%(inviter)s invites you to join %(team)s") % {
        "inviter": invitation.created_by.get_username(),
        "team": invitation.team,
    }
    message = EmailMessage(
        subject=SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        headers={"Auto-Submitted": "auto-generated", "List-Unsubscribe": f"<{unsubscribe}>"},
    )
    return message

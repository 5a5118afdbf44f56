"""A person's notifications, their mail settings and the one-click unsubscribe link."""

import contextlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from .forms import PreferenceForm
from .models import Kind, Notification
from .selectors import notification_list_for_user, preference_for_user
from .services import (
    NotificationRefused,
    notification_mark_read,
    preference_set_language,
    preference_update,
    unsubscribe,
)
from .tokens import ALL_KINDS, BadUnsubscribeToken, unsubscribe_token_read


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # login_required let only signed-in users through
    return user


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    items = list(notification_list_for_user(user=_user(request))[:100])
    return render(
        request,
        "notifications/list.html",
        {"items": items, "unread": sum(1 for n in items if n.read_at is None)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest) -> HttpResponse:
    ids = [int(value) for value in request.POST.getlist("id") if value.isdigit()]
    count = notification_mark_read(user=_user(request), notification_ids=ids or None)
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return redirect("notification-list")


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, user=request.user)
    notification_mark_read(user=_user(request), notification_ids=[notification.pk])
    target = notification.link or "/notifications/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "/notifications/"
    return redirect(target)


@login_required
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = preference_for_user(user=user)
    initial = {
        "frequency": current.frequency,
        "mailed_kinds": [kind for kind in Kind.values if kind not in current.muted_kinds],
        "language": current.language or settings.LANGUAGE_CODE,
    }
    form = PreferenceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        mailed = set(form.cleaned_data["mailed_kinds"])
        preference_update(
            user=user,
            frequency=form.cleaned_data["frequency"],
            muted_kinds=[kind for kind in Kind.values if kind not in mailed],
            language=form.cleaned_data["language"] or None,
        )
        messages.success(request, gettext("Your notification settings are saved."))
        return redirect("notification-preferences")
    return render(
        request,
        "notifications/preferences.html",
        {"form": form, "has_email": bool(user.email), "email": user.email},
    )


def _csrf_passes(request: HttpRequest) -> bool:
    def no_view(_request: HttpRequest) -> HttpResponse:
        return HttpResponse()

    return CsrfViewMiddleware(no_view).process_view(request, no_view, (), {}) is None


# Anonymous pages are cached whole (the leaderboard), so their switch carries no CSRF token:
# switching a visitor's language is harmless. What a signed-in person's switch also stores (the
# language of their notifications and mails) is stored only when the CSRF check passes.
@csrf_exempt
@require_POST
def language_switch(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the language cookie), plus the person's stored mail language."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and _csrf_passes(request):
        # An unknown code is ignored, as set_language ignores it.
        with contextlib.suppress(NotificationRefused):
            preference_set_language(user=_user(request), language=language)
    return response


@csrf_exempt  # RFC 8058: mail clients POST the one-click unsubscribe without a session
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """One click from a mail: the signed token says who and which kind; no login needed."""
    try:
        user_id, kind = unsubscribe_token_read(token)
    except BadUnsubscribeToken as exc:
        return render(request, "notifications/unsubscribed.html", {"error": str(exc)}, status=400)
    preference = unsubscribe(user_id=user_id, kind=kind)
    if preference is None:
        return render(
            request,
            "notifications/unsubscribed.html",
            {"error": gettext("this account no longer exists")},
            status=404,
        )
    label = gettext("any") if kind == ALL_KINDS or kind not in Kind.values else Kind(kind).label
    return render(
        request,
        "notifications/unsubscribed.html",
        {"kind": kind, "label": label, "all": kind == ALL_KINDS},
    )

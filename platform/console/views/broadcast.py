"""Organizers and participants: write to every participant of a benchmark (in-site and by
mail, per settings), and see which teams accepted which version of its terms."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from benchmarks.models import Benchmark
from benchmarks.terms import terms_acceptances, terms_current
from notifications.forms import BroadcastForm
from notifications.models import Broadcast
from notifications.selectors import benchmark_participants
from notifications.services import NotificationRefused, broadcast_send


@staff_member_required
def console_broadcast(request: HttpRequest, slug: str) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=slug)
    form = BroadcastForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        try:
            broadcast = broadcast_send(
                benchmark=benchmark,
                user=user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
        except NotificationRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                gettext("Your message went to %(count)d participant(s).")
                % {"count": broadcast.recipients},
            )
            return redirect("console-broadcast", slug=benchmark.slug)
    return render(
        request,
        "console/broadcast.html",
        {
            "benchmark": benchmark,
            "form": form,
            "participants": benchmark_participants(benchmark=benchmark).count(),
            "history": Broadcast.objects.filter(benchmark=benchmark).select_related("sent_by")[:50],
        },
    )


@staff_member_required
def console_terms(request: HttpRequest, slug: str) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=slug)
    return render(
        request,
        "console/terms.html",
        {
            "benchmark": benchmark,
            "current": terms_current(benchmark=benchmark),
            "acceptances": terms_acceptances(benchmark=benchmark),
        },
    )

"""The organizer's reveal of a phase's out-of-distribution results (staff only, audited).

The service (``submissions.picks.phase_reveal``) fills automatic picks, queues each pick's runs
on the OOD splits and its audit tests, and publishes those splits; this page lists each phase
with its picks and the state of its OOD runs.
"""

from collections import Counter

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from benchmarks.models import Phase, Split
from submissions.models import FinalPick, SplitRun
from submissions.picks import phase_reveal


@staff_member_required
def console_reveal(request: HttpRequest) -> HttpResponse:
    phases = list(
        Phase.objects.select_related("benchmark", "revealed_by").order_by(
            "benchmark__name", "starts_at"
        )
    )
    picks = Counter(
        (phase_id, automatic)
        for phase_id, automatic in FinalPick.objects.values_list("phase_id", "automatic")
    )
    ood = list(Split.objects.filter(visibility=Split.Visibility.OOD).select_related("track"))
    runs = Counter(
        (split_id, outcome)
        for split_id, outcome in SplitRun.objects.filter(split__in=ood).values_list(
            "split_id", "outcome"
        )
    )
    rows = []
    for phase in phases:
        splits = [s for s in ood if s.track.benchmark_id == phase.benchmark_id]
        states: Counter[str] = Counter()
        for (split_id, outcome), count in runs.items():
            if any(s.pk == split_id for s in splits):
                states[outcome or "unknown"] += count
        rows.append(
            {
                "phase": phase,
                "chosen": picks[(phase.pk, False)],
                "automatic": picks[(phase.pk, True)],
                "splits": splits,
                "runs": sorted(states.items()),
            }
        )
    return render(request, "console/reveal.html", {"rows": rows})


@staff_member_required
@require_POST
def console_phase_reveal(request: HttpRequest, phase_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    phase = get_object_or_404(Phase.objects.select_related("benchmark"), pk=phase_id)
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, gettext("Say why: revealing results needs a reason."))
        return redirect("console-reveal")
    report = phase_reveal(phase=phase, user=user, reason=reason)
    if not report.first_reveal:
        messages.success(
            request,
            gettext("%(phase)s was already revealed; %(count)d queued runs sent again.")
            % {"phase": phase, "count": report.runs_resent},
        )
    else:
        skipped = (
            " " + gettext("Skipped: %(what)s.") % {"what": "; ".join(report.skipped)}
            if report.skipped
            else ""
        )
        messages.success(
            request,
            gettext(
                "%(phase)s revealed: %(picks)d final picks (%(automatic)d automatic), "
                "%(runs)d out-of-distribution runs and %(tests)d audit tests queued; results "
                "show as they are scored."
            )
            % {
                "phase": phase,
                "picks": report.picks,
                "automatic": report.automatic,
                "runs": report.runs_queued,
                "tests": report.audit_tests_queued,
            }
            + skipped,
        )
    return redirect("console-reveal")

"""A benchmark's terms of participation and data use; a team member accepts them for a team."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from accounts.models import Team
from accounts.selectors import team_list_for_user
from benchmarks.models import Benchmark, TermsAcceptance
from benchmarks.terms import TermsRefused, terms_accept, terms_current


def benchmark_terms(request: HttpRequest, benchmark_slug: str) -> HttpResponse:
    benchmark = get_object_or_404(Benchmark, slug=benchmark_slug)
    terms = terms_current(benchmark=benchmark)
    if terms is None:
        raise Http404("this benchmark has no terms")
    teams = [t for t in team_list_for_user(user=request.user) if not t.is_baseline]
    if request.method == "POST":
        user = request.user
        if not isinstance(user, User):
            return redirect(f"/login/?next={request.path}")
        team = get_object_or_404(Team, pk=request.POST.get("team", "0") or 0)
        try:
            terms_accept(terms=terms, team=team, user=user)
        except TermsRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                gettext("%(team)s accepted the terms of %(benchmark)s (version %(version)s).")
                % {"team": team, "benchmark": benchmark.name, "version": terms.version},
            )
        return redirect("benchmark-terms", benchmark_slug=benchmark.slug)
    accepted = dict(
        TermsAcceptance.objects.filter(terms=terms, team__in=teams).values_list(
            "team_id", "accepted_at"
        )
    )
    return render(
        request,
        "leaderboards/terms.html",
        {
            "benchmark": benchmark,
            "terms": terms,
            "teams": [(team, accepted.get(team.pk)) for team in teams],
        },
    )

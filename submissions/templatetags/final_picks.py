"""The "Pick as final" box on a submission's page, for members of its team."""

from typing import Any

from django import template
from django.utils import timezone

from accounts.selectors import team_is_member
from benchmarks.models import Phase

from ..models import FinalPick, Status, Submission
from ..selectors import phase_is_open

register = template.Library()


@register.inclusion_tag("submissions/_pick_box.html", takes_context=True)
def final_pick_box(context: dict[str, Any], submission: Submission) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        user is None
        or submission.status != Status.FINISHED
        or submission.disqualified_at is not None
        or not team_is_member(team=submission.team, user=user)
    ):
        return {"phases": []}
    now = timezone.now()
    picked = set(FinalPick.objects.filter(submission=submission).values_list("phase_id", flat=True))
    phases = [
        {"phase": phase, "picked": phase.pk in picked}
        for phase in Phase.objects.filter(
            benchmark_id=submission.track.benchmark_id, revealed_at__isnull=True
        )
        if phase_is_open(phase=phase, now=now)
    ]
    return {
        "phases": phases,
        "submission": submission,
        "csrf_token": context.get("csrf_token"),
        "next": request.get_full_path() if request else "",
    }

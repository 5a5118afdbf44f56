"""The organizer's team merge (staff only, audited): a form over ``submissions.merges``."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from submissions.merges import TeamMergeRefused, team_merge

from ..forms import TeamMergeForm


@staff_member_required
def console_team_merge(request: HttpRequest) -> HttpResponse:
    form = TeamMergeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        try:
            into = team_merge(
                into=form.cleaned_data["into"],
                other=form.cleaned_data["other"],
                user=user,
                reason=form.cleaned_data["reason"],
            )
        except TeamMergeRefused as exc:
            for problem in exc.problems:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                gettext("%(other)s is merged into %(into)s.")
                % {"other": form.cleaned_data["other"], "into": into},
            )
            return redirect("console-home")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "console/edit.html",
        {"form": form, "title": gettext("Merge two teams")},
        status=status,
    )

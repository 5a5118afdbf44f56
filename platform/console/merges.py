"""The organizer's team merge (staff only, audited): a form over ``submissions.merges``."""

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from submissions.merges import TeamMergeRefused, team_merge


def _teams() -> "forms.ModelChoiceField[Team]":
    return forms.ModelChoiceField(
        queryset=Team.objects.filter(is_baseline=False, merged_into__isnull=True).order_by("name")
    )


class TeamMergeForm(forms.Form):
    other = _teams()
    into = _teams()
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Reason"),
        help_text=_("Written to the audit log with your name"),
    )
    field_order = ["other", "into", "reason"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["other"].label = _("Merge team")
        self.fields["other"].help_text = _("Its members and picks move; it takes no new submission")
        self.fields["into"].label = _("Into team")
        self.fields["into"].help_text = _(
            "Allowed only if both teams' past submissions, counted as one team's, fit every "
            "quota, and their picks fit each phase"
        )


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

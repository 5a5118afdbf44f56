"""Console forms: they translate input; the services decide and name what is wrong."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from benchmarks.models import Benchmark, Track

from .services import MAX_FINAL_PICKS, ConsoleEditRefused

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def _when(required: bool, label: StrOrPromise, help_text: StrOrPromise) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=required,
        label=label,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=help_text,
    )


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label=_("Reason"),
        help_text=_("Written to the audit log with your name"),
    )

    def refuse(self, exc: ConsoleEditRefused) -> None:
        """Show a service's refusal on the field it names (or above the form)."""
        self.add_error(exc.field if exc.field in self.fields else None, str(exc))


class PhaseForm(ReasonMixin):
    name = forms.CharField(max_length=120, label=_("Name"))
    starts_at = _when(True, _("Starts at"), "UTC")
    ends_at = _when(False, _("Ends at"), _("UTC; empty for an open-ended phase"))
    final_picks = forms.IntegerField(
        min_value=0,
        max_value=MAX_FINAL_PICKS,
        initial=2,
        label=_("Final picks"),
        help_text=_("Submissions each team may pick to count on the out-of-distribution tier"),
    )
    one_team_per_person = forms.BooleanField(
        required=False,
        initial=True,
        label=_("One team per person"),
        help_text=_("A person takes part through at most one team in this phase (untick to relax)"),
    )
    field_order = ["name", "starts_at", "ends_at", "final_picks", "one_team_per_person", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The phase must end after it starts."))
        return data


class PhaseCreateForm(PhaseForm):
    benchmark = forms.ModelChoiceField(
        queryset=Benchmark.objects.order_by("name"), label=_("Benchmark")
    )
    slug = forms.SlugField(max_length=40, label=_("Slug"), help_text=_("Short id, e.g. phase-2"))
    field_order = ["benchmark", "slug", *PhaseForm.field_order]


class TrackRulesForm(ReasonMixin):
    daily_submission_limit = forms.IntegerField(
        min_value=0,
        required=False,
        label=_("Daily submission limit"),
        help_text=_("Per team per UTC day; empty for no limit"),
    )
    total_submission_limit = forms.IntegerField(
        min_value=0,
        required=False,
        label=_("Total submission limit"),
        help_text=_("Per team over the track's life; empty for no limit"),
    )
    entry_rule = forms.ChoiceField(
        choices=Track.EntryRule.choices,
        label=_("Entry rule"),
        help_text=_("The submission a team's leaderboard row shows: its best or its latest"),
    )
    field_order = ["daily_submission_limit", "total_submission_limit", "entry_rule", "reason"]


def _teams() -> forms.ModelChoiceField[Team]:
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


class DefinitionForm(forms.Form):
    definition = forms.CharField(
        required=False,
        strip=False,
        label=_("Definition (YAML)"),
        widget=forms.Textarea(attrs={"rows": 28, "cols": 100, "spellcheck": "false"}),
    )
    upload = forms.FileField(
        required=False,
        label=_("Or upload a file"),
        help_text=_("A .yaml file; it replaces the text above."),
    )
    reason = forms.CharField(
        required=False,
        max_length=2000,
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed to apply; written to the audit log with your name"),
    )

"""Console forms: they translate input; the services decide and name what is wrong."""

from __future__ import annotations

from typing import Any

from django import forms

from benchmarks.models import Benchmark, Track

from .services import MAX_FINAL_PICKS, ConsoleEditRefused

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"]


def _when(required: bool, help_text: str) -> forms.DateTimeField:
    return forms.DateTimeField(
        required=required,
        input_formats=DATETIME_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=help_text,
    )


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Written to the audit log with your name",
    )

    def refuse(self, exc: ConsoleEditRefused) -> None:
        """Show a service's refusal on the field it names (or above the form)."""
        self.add_error(exc.field if exc.field in self.fields else None, str(exc))


class PhaseForm(ReasonMixin):
    name = forms.CharField(max_length=120)
    starts_at = _when(True, "UTC")
    ends_at = _when(False, "UTC; empty for an open-ended phase")
    final_picks = forms.IntegerField(
        min_value=0,
        max_value=MAX_FINAL_PICKS,
        initial=2,
        help_text="Submissions each team may pick to count on the out-of-distribution tier",
    )
    one_team_per_person = forms.BooleanField(
        required=False,
        initial=True,
        help_text="A person takes part through at most one team in this phase (untick to relax)",
    )
    field_order = ["name", "starts_at", "ends_at", "final_picks", "one_team_per_person", "reason"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The phase must end after it starts.")
        return data


class PhaseCreateForm(PhaseForm):
    benchmark = forms.ModelChoiceField(queryset=Benchmark.objects.order_by("name"))
    slug = forms.SlugField(max_length=40, help_text="Short id, e.g. phase-2")
    field_order = ["benchmark", "slug", *PhaseForm.field_order]


class TrackRulesForm(ReasonMixin):
    daily_submission_limit = forms.IntegerField(
        min_value=0, required=False, help_text="Per team per UTC day; empty for no limit"
    )
    total_submission_limit = forms.IntegerField(
        min_value=0, required=False, help_text="Per team over the track's life; empty for no limit"
    )
    entry_rule = forms.ChoiceField(
        choices=Track.EntryRule.choices,
        help_text="The submission a team's leaderboard row shows: its best or its latest",
    )
    field_order = ["daily_submission_limit", "total_submission_limit", "entry_rule", "reason"]

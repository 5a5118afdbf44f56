from typing import Any

from django import forms
from django.contrib.auth.models import User

from accounts.models import Team
from benchmarks.models import Track

from .services import (
    LICENSE_MAX_CHARS,
    MODEL_CARD_MAX_BYTES,
    SubmissionRejected,
    submission_check_identity,
)


class SubmissionUploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    track = forms.ModelChoiceField(queryset=Track.objects.select_related("benchmark"))
    method_name = forms.CharField(max_length=120)
    training_data = forms.CharField(
        max_length=200, help_text="A benchmark slug, or 'other: DESCRIPTION'"
    )
    license = forms.CharField(
        required=False,
        max_length=LICENSE_MAX_CHARS,
        help_text="An SPDX identifier (MIT, Apache-2.0, CC-BY-4.0…) or a short text",
    )
    model_card = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=f"Markdown or plain text, up to {MODEL_CARD_MAX_BYTES // 1024} KiB: what the "
        "model is, how it was trained, its known limits. Pinned with the image: it cannot be "
        "edited after submitting.",
    )
    image = forms.FileField(help_text="The output of `docker save IMAGE -o image.tar`")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(memberships__user=user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            card, text = submission_check_identity(
                model_card=data.get("model_card", ""), license=data.get("license", "")
            )
        except SubmissionRejected as exc:
            field = "model_card" if "model card" in str(exc) else "license"
            self.add_error(field, str(exc))
        else:
            data["model_card"], data["license"] = card, text
        return data


class ReasonForm(forms.Form):
    """Organizer and reviewer actions on a submission: each one says why."""

    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

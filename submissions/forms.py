from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from benchmarks.models import Track

from .services import (
    LICENSE_MAX_CHARS,
    MODEL_CARD_MAX_BYTES,
    SubmissionRejected,
    submission_check_identity,
)


class SubmissionUploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), label=_("Team"))
    track = forms.ModelChoiceField(
        queryset=Track.objects.select_related("benchmark"), label=_("Track")
    )
    method_name = forms.CharField(max_length=120, label=_("Method name"))
    training_data = forms.CharField(
        max_length=200,
        label=_("Training data"),
        help_text=_("A benchmark slug, or 'other: DESCRIPTION'"),
    )
    license = forms.CharField(
        required=False,
        max_length=LICENSE_MAX_CHARS,
        label=_("License"),
        help_text=_("An SPDX identifier (MIT, Apache-2.0, CC-BY-4.0…) or a short text"),
    )
    model_card = forms.CharField(
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        label=_("Model card"),
        help_text=format_lazy(
            _(
                "Markdown or plain text, up to {kib} KiB: what the model is, how it was "
                "trained, its known limits. Pinned with the image: it cannot be edited after "
                "submitting."
            ),
            kib=MODEL_CARD_MAX_BYTES // 1024,
        ),
    )
    image = forms.FileField(
        label=_("Image"), help_text=_("The output of `docker save IMAGE -o image.tar`")
    )

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
            self.add_error(exc.field or None, str(exc))
        else:
            data["model_card"], data["license"] = card, text
        return data


class ReasonForm(forms.Form):
    """Organizer and reviewer actions on a submission: each one says why."""

    reason = forms.CharField(
        max_length=2000, widget=forms.Textarea(attrs={"rows": 2}), label=_("Reason")
    )

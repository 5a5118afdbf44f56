from typing import Any

from django import forms
from django.contrib.auth.models import User

from accounts.models import Team
from benchmarks.models import Track


class SubmissionUploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    track = forms.ModelChoiceField(queryset=Track.objects.select_related("benchmark"))
    method_name = forms.CharField(max_length=120)
    training_data = forms.CharField(
        max_length=200, help_text="A benchmark slug, or 'other: DESCRIPTION'"
    )
    image = forms.FileField(help_text="The output of `docker save IMAGE -o image.tar`")

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(memberships__user=user)

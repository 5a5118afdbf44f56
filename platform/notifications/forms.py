from django import forms

from .models import Frequency, Kind


class PreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=Frequency.choices, widget=forms.RadioSelect, label="How often to mail me"
    )
    mailed_kinds = forms.MultipleChoiceField(
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="What to mail me about",
    )


class BroadcastForm(forms.Form):
    subject = forms.CharField(max_length=150)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8, "cols": 70}), label="Message")

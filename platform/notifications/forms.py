from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Frequency, Kind


class PreferenceForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=Frequency.choices, widget=forms.RadioSelect, label=_("How often to mail me")
    )
    mailed_kinds = forms.MultipleChoiceField(
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("What to mail me about"),
    )
    # Not sent: the language stays as it was.
    language = forms.ChoiceField(
        choices=settings.LANGUAGES,
        required=False,
        label=_("Language of my notifications and mails"),
    )


class BroadcastForm(forms.Form):
    subject = forms.CharField(max_length=150, label=_("Subject"))
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8, "cols": 70}), label=_("Message"))

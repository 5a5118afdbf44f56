from django import forms
from django.utils.translation import gettext_lazy as _

from submissions.models import VerificationStatus


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=VerificationStatus.choices, label=_("Status"))
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=_("Reason")
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, label=_("Comment")
    )


class ObjectionForm(forms.Form):
    team = forms.IntegerField(widget=forms.HiddenInput)
    rule = forms.CharField(
        max_length=200,
        label=_("Rule"),
        help_text=_("the protocol rule, e.g. §5 no model selection"),
    )
    evidence = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=20000, label=_("Evidence")
    )


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("reject", _("reject")),
            ("flag", _("uphold: flag")),
            ("remove", _("uphold: remove")),
        ],
        label=_("Decision"),
    )
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label=_("Resolution"))

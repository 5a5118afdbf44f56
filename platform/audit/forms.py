from django import forms

from .models import VerificationStatus


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=VerificationStatus.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CommentForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)


class ObjectionForm(forms.Form):
    team = forms.IntegerField(widget=forms.HiddenInput)
    rule = forms.CharField(
        max_length=200, help_text="the protocol rule, e.g. §5 no model selection"
    )
    evidence = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("reject", "reject"), ("flag", "uphold: flag"), ("remove", "uphold: remove")]
    )
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class LogFilterForm(forms.Form):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False)
    target_type = forms.CharField(required=False)
    target_id = forms.CharField(required=False)
    since = forms.DateTimeField(required=False)
    until = forms.DateTimeField(required=False)

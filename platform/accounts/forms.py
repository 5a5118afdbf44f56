from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User

from .models import Team
from .throttle import MAX_FAILURES, login_blocked, login_failed, login_succeeded


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": f"Too many failed logins ({MAX_FAILURES}); try again in 15 minutes.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "")
        address = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if login_blocked(username=username, address=address):
            raise forms.ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            login_failed(username=username, address=address)
            raise
        login_succeeded(username=username, address=address)
        return cleaned


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(
        required=False,
        help_text="Where notifications are mailed (submissions, results, invitations); "
        "optional, and you choose what is mailed.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=100)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Team.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError("A team with this name exists already.")
        return name

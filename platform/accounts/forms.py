from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

from .models import Team


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


class InvitationForm(forms.Form):
    email = forms.EmailField(
        required=False, help_text="Empty: a link you share yourself, valid for 7 days."
    )

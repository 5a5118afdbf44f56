from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from .models import Team


class SignupForm(UserCreationForm[User]):
    email = forms.EmailField(
        required=False,
        label=_("E-mail address"),
        help_text=_(
            "Where notifications are mailed (submissions, results, invitations); "
            "optional, and you choose what is mailed."
        ),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=100, label=_("Name"))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if Team.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("A team with this name exists already."))
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(
        required=False,
        label=_("E-mail address"),
        help_text=_("Empty: a link you share yourself, valid for 7 days."),
    )

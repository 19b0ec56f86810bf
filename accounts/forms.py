"""Input shape for staff sign-in and setting a password from an invitation."""
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from accounts.permissions import membership_for


class StaffLoginForm(AuthenticationForm):
    """Email and password; refuses people who have no active role at any merchant."""

    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("The email or password is wrong. Check both and try again."),
        "inactive": _("This account is switched off. Ask the owner of your business to restore it."),
        "no_role": _("This account has no role at any business. Ask the owner to invite you."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if membership_for(user) is None and not user.is_staff:
            raise forms.ValidationError(self.error_messages["no_role"], code="no_role")

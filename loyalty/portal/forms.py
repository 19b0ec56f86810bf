"""Input shape for the customer portal: joining, signing in with a code, the profile."""
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.inputs import DateField
from accounts.phones import phone_normalize


class JoinForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("Phone"), max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel", "autofocus": True}))
    email = forms.EmailField(label=_("Email"), help_text=_("Sign-in codes are sent here."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    consent_email = forms.BooleanField(label=_("Send me offers by email"), required=False)
    consent_sms = forms.BooleanField(label=_("Send me offers by SMS"), required=False)
    terms = forms.BooleanField(
        label=_("I agree to the program rules and to the processing of my personal data"),
        error_messages={"required": _("Agree to the rules to join.")},
    )

    def __init__(self, *args, region: str = "RU", **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def clean_phone(self):
        phone = phone_normalize(raw=self.cleaned_data["phone"], region=self.region)
        if phone is None:
            raise forms.ValidationError(_("Enter a valid phone number."))
        return phone


class LoginForm(forms.Form):
    identifier = forms.CharField(
        label=_("Email or phone"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the message"), max_length=12,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "pattern": "[0-9 ]*"}),
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"))
    birthday = DateField(label=_("Birthday"), required=False, help_text=_("It can be set once; a gift comes on the day."),
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    consent_email = forms.BooleanField(label=_("Offers by email"), required=False)
    consent_sms = forms.BooleanField(label=_("Offers by SMS"), required=False)
    consent_push = forms.BooleanField(label=_("Notifications in the portal"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("The shop's language"))] + [(code, name) for code, name in settings.LANGUAGES])

    def __init__(self, *args, birthday_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if birthday_locked:
            self.fields["birthday"].disabled = True
            self.fields["birthday"].help_text = _("Set once. Ask at the counter to correct it.")

"""Input shape for the back-office forms; validation of business rules stays in the services."""
from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.inputs import DateField
from accounts.models import ApiScope, Gender, Role


class ProgramForm(forms.Form):
    accrual_percent = forms.DecimalField(
        label=_("Accrual, percent of the amount paid"), min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2, max_digits=5,
        help_text=_("Typical: 5 in retail, up to 25 in services."),
    )
    max_redeem_percent = forms.DecimalField(
        label=_("Redemption cap, percent of a receipt"), min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2, max_digits=5,
        help_text=_("The share of a receipt a customer may pay with points."),
    )
    point_value = forms.DecimalField(
        label=_("Value of one point"), min_value=Decimal("0.01"), decimal_places=2, max_digits=10,
        help_text=_("In your currency. Usually 1 point = 1."),
    )
    points_ttl_days = forms.IntegerField(
        label=_("Points expire after, days"), required=False, min_value=1, max_value=36500,
        help_text=_("Leave empty for points that never expire."),
    )
    pending_days = forms.IntegerField(
        label=_("Activation delay, days"), min_value=0, max_value=365,
        help_text=_("Purchase points wait this long before they can be spent (covers returns)."),
    )
    welcome_bonus = forms.IntegerField(label=_("Welcome bonus, points"), min_value=0, max_value=1_000_000)
    welcome_bonus_ttl_days = forms.IntegerField(
        label=_("Welcome bonus expires after, days"), required=False, min_value=1, max_value=36500,
        help_text=_("Short-lived (7–14 days) to push the first purchase."),
    )
    counter_confirm_amount = forms.DecimalField(
        label=_("Ask the cashier to confirm a sale above"), required=False, min_value=Decimal("0.01"), decimal_places=2, max_digits=14,
        help_text=_("The counter asks \"Is this amount right?\" before committing a larger sale; catches a mistyped amount. Leave empty to never ask."),
    )
    max_receipt_amount = forms.DecimalField(
        label=_("Largest receipt accepted"), required=False, min_value=Decimal("0.01"), decimal_places=2, max_digits=14,
        help_text=_("A larger receipt is refused at the counter and through the API. Leave empty for no limit."),
    )


class CustomerFilterForm(forms.Form):
    JOINED = [("", _("Any time")), ("7", _("Last 7 days")), ("30", _("Last 30 days")), ("90", _("Last 90 days")), ("365", _("Last year"))]
    CONSENT = [("", _("Any")), ("email", _("Agreed to email")), ("sms", _("Agreed to SMS"))]

    q = forms.CharField(
        label=_("Search"), required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Phone, card number, referral code or name")}),
    )
    store = forms.ChoiceField(label=_("Joined at store"), required=False)
    joined = forms.ChoiceField(label=_("Joined"), choices=JOINED, required=False)
    consent = forms.ChoiceField(label=_("Mailing consent"), choices=CONSENT, required=False)

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All stores"))] + [(s.code, s.name) for s in stores]


class AdjustForm(forms.Form):
    points = forms.IntegerField(
        label=_("Points"), help_text=_("Positive to add, negative to take away."),
        widget=forms.NumberInput(attrs={"placeholder": "+100 / -50"}),
    )
    reason = forms.CharField(label=_("Reason"), max_length=250, help_text=_("Recorded in the history and the audit log."))


class ReceiptFilterForm(forms.Form):
    number = forms.CharField(label=_("Receipt number"), required=False)
    store = forms.ChoiceField(label=_("Store"), required=False)
    date_from = DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("All stores"))] + [(s.code, s.name) for s in stores]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class StoreForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=50, help_text=_("Short and unique, as the POS sends it: main, mall-2."))
    name = forms.CharField(label=_("Name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    full_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    # The least privileged role unless the owner picks another.
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASHIER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False, help_text=_("Where the key is used, e.g. \"Till 1\"."))
    scope = forms.ChoiceField(label=_("Access"), choices=ApiScope.choices, initial=ApiScope.POS)
    store = forms.ChoiceField(label=_("Store"), required=False, help_text=_("Bind a POS key to one store, or leave empty."))

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", _("Any store"))] + [(s.code, s.name) for s in stores]


class CustomerEditForm(forms.Form):
    """A customer's profile as staff edit it, in the back-office and at the counter (accounts.services.customer_edit)."""

    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40,
                            help_text=_("Any format; another customer's number is refused."),
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}))
    email = forms.EmailField(label=_("Email"), required=False, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    birthday = DateField(label=_("Birthday"), required=False,
                               widget=forms.DateInput(attrs={"type": "date", "min": "1900-01-01"}, format="%Y-%m-%d"))
    gender = forms.ChoiceField(label=_("Gender"), required=False, choices=[("", _("Not stated"))] + list(Gender.choices))
    language = forms.ChoiceField(label=_("Language"), required=False,
                                 choices=[("", _("The shop's language"))] + [(code, name) for code, name in settings.LANGUAGES])
    consent_email = forms.BooleanField(label=_("Offers by email"), required=False)
    consent_sms = forms.BooleanField(label=_("Offers by SMS"), required=False)
    consent_push = forms.BooleanField(label=_("Notifications in the portal"), required=False)

    @classmethod
    def for_customer(cls, customer, data=None):
        from accounts.phones import phone_display

        initial = {
            "name": customer.name, "phone": phone_display(customer.phone), "email": customer.email, "birthday": customer.birthday,
            "gender": customer.gender, "language": customer.language, "consent_email": customer.consent_email,
            "consent_sms": customer.consent_sms, "consent_push": customer.consent_push,
        }
        return cls(data, initial=initial, prefix="profile")


class ProgramPageForm(forms.Form):
    body = forms.CharField(
        label=_("Text"), required=False, max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true"}),
        help_text=_("Plain text. An empty line starts a new paragraph; # starts a heading, - a list item, **bold** is bold. "
                    "HTML is shown as typed. Leave empty to show the summary of the program's settings."),
    )


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


class BoundedDateField(DateField):
    """A date a person can mean in a filter: 2000 to 2100. 9999-12-31 is bad input, not a query."""

    widget = forms.DateInput(attrs={"type": "date", "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()})

    def validate(self, value):
        super().validate(value)
        if value is not None and not (EARLIEST_DATE <= value <= LATEST_DATE):
            raise forms.ValidationError(_("Enter a date between 2000 and 2100."), code="out_of_range")


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("What"), required=False)
    actor = forms.ChoiceField(label=_("Who"), required=False)
    date_from = BoundedDateField(label=_("From"), required=False)
    date_to = BoundedDateField(label=_("To"), required=False)

    def __init__(self, *args, actions=(), staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Everything"))] + [(code, label) for code, label in actions]
        self.fields["actor"].choices = [("", _("Anyone")), ("system", _("System"))] + [
            (str(member.user_id), str(member.user)) for member in staff]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

"""The marketer's forms for agents, families and funds; the services validate again and their errors
are put back beside the fields they name."""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.inputs import DateField

PERCENT = {"max_digits": 5, "decimal_places": 2, "min_value": 0, "max_value": 100}


class FundForm(forms.Form):
    code = forms.RegexField(label=_("Code"), regex=r"^[A-Za-z0-9_-]{1,32}$", max_length=32,
                            help_text=_("Letters, digits, dashes; how the POS and the API name the fund."))
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label=_("Collecting donations"), required=False, initial=True)


class FundEditForm(FundForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["code"]


class RangeForm(forms.Form):
    start = DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", _("The end comes before the start."))
        return data


class AgentForm(forms.Form):
    phone = forms.CharField(label=_("Customer's phone"), max_length=32)
    percent = forms.DecimalField(label=_("Agent's percent"), help_text=_("Share of each client's purchase, paid in money."), **PERCENT)


class SplitForm(forms.Form):
    client_discount_percent = forms.DecimalField(label=_("Client's discount, %"), required=False, **PERCENT)
    agent_points_percent = forms.DecimalField(label=_("Agent's points, %"), required=False, **PERCENT)


class ClientForm(SplitForm):
    phone = forms.CharField(label=_("Client's phone"), max_length=32)
    field_order = ["phone", "client_discount_percent", "agent_points_percent"]


class FamilyAddForm(forms.Form):
    phone = forms.CharField(label=_("Member's phone"), max_length=32,
                            help_text=_("A new phone is registered on the spot. The member's points move into the family balance."))
    can_redeem = forms.BooleanField(label=_("May spend the family balance"), required=False)

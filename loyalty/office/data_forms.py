"""The owner's forms for the customer import and the webhook endpoints."""
from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from loyalty.models import WEBHOOK_EVENTS

EVENT_LABELS = {
    "customer.created": _("A customer joined"),
    "receipt.committed": _("A receipt was committed"),
    "receipt.refunded": _("Items were returned"),
    "tier.changed": _("A customer's tier changed"),
    "points.expired": _("Points expired"),
}


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("CSV or XLSX, up to 50 MB. The first row names the columns."),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}))
    dry_run = forms.BooleanField(label=_("Dry run: check every row and show what would happen, without writing"), required=False,
                                 initial=True)


class WebhookForm(forms.Form):
    url = forms.CharField(label=_("URL"), max_length=500, help_text=_("An http:// or https:// address of your CRM or shop."),
                          widget=forms.URLInput(attrs={"placeholder": "https://crm.example.com/hooks/loyalty", "autocomplete": "off"}))
    events = forms.MultipleChoiceField(label=_("Events"), choices=[(name, format_lazy("{} ({})", EVENT_LABELS[name], name)) for name in WEBHOOK_EVENTS],
                                       widget=forms.CheckboxSelectMultiple, error_messages={"required": _("Choose at least one event.")})

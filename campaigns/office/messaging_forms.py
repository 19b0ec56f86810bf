"""Forms of the marketer's messaging screens: they build the API's JSON; the services judge it."""
from django import forms
from django.utils.translation import gettext_lazy as _

CHANNEL_CHOICES = [("email", _("Email")), ("sms", _("SMS")), ("push", _("Portal message and Web Push"))]
EVENT_CHOICES = [("welcome", _("Welcome")), ("first_purchase", _("First purchase")), ("birthday", _("Birthday")),
                 ("winback", _("Win-back")), ("tier_reached", _("Tier reached")), ("category_purchase", _("Category purchase"))]


class MessageFields(forms.Form):
    channels = forms.MultipleChoiceField(label=_("Channels, in order of preference"), choices=CHANNEL_CHOICES,
                                         widget=forms.CheckboxSelectMultiple, initial=["email", "push"],
                                         help_text=_("Each customer gets the first channel they agreed to."))
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), max_length=5000,
                           help_text=_("Placeholders: {name} {balance} {code} {offer_ends}"))
    offer_points = forms.IntegerField(label=_("Points as a gift"), required=False, min_value=1, max_value=1_000_000)
    offer_ttl_days = forms.IntegerField(label=_("Points last, days"), required=False, min_value=1, max_value=36_500)

    def payload(self) -> dict:
        data = self.cleaned_data
        offer = None
        if data.get("offer_points"):
            offer = {"points": data["offer_points"], "ttl_days": data.get("offer_ttl_days")}
        return {"channels": data["channels"], "subject": data.get("subject", ""), "text": data["text"], "offer": offer}


class CampaignForm(MessageFields):
    name = forms.CharField(label=_("Name of the campaign"), max_length=200)
    code = forms.SlugField(label=_("Code"), max_length=64, help_text=_("Letters, digits, - and _; used in the API."))
    segment = forms.CharField(label=_("Segment code"), max_length=64, required=False, help_text=_("Empty: every member."))
    control_percent = forms.IntegerField(label=_("Control group, %"), min_value=0, max_value=90, initial=10,
                                         help_text=_("Held out at random and sent nothing, to measure the effect."))
    send_at = forms.DateTimeField(label=_("Send at"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                                  help_text=_("Empty: you send it by hand."))

    field_order = ["name", "code", "segment", "channels", "subject", "text", "offer_points", "offer_ttl_days", "control_percent", "send_at"]

    def payload(self) -> dict:
        data = self.cleaned_data
        return {**super().payload(), "name": data["name"], "code": data["code"], "segment": data.get("segment") or None,
                "control_percent": data["control_percent"] or 0, "send_at": data["send_at"].isoformat() if data.get("send_at") else None}


class TriggerForm(MessageFields):
    name = forms.CharField(label=_("Name of the message"), max_length=200)
    code = forms.SlugField(label=_("Code"), max_length=64)
    event = forms.ChoiceField(label=_("Event"), choices=EVENT_CHOICES)
    days_before = forms.IntegerField(label=_("Days before the birthday"), required=False, min_value=0, max_value=60)
    family = forms.BooleanField(label=_("Also the family birthdays members recorded"), required=False,
                                help_text=_("Birthday only: the member who recorded a family birthday gets the message."))
    days = forms.IntegerField(label=_("Days without a purchase"), required=False, min_value=1, max_value=3650)
    tier = forms.CharField(label=_("Tier code"), required=False, max_length=64)
    category = forms.CharField(label=_("Category"), required=False, max_length=100)
    delay_days = forms.IntegerField(label=_("Days after the purchase"), required=False, min_value=0, max_value=365)
    active = forms.BooleanField(label=_("On"), required=False, initial=True)

    field_order = ["name", "code", "event", "days_before", "family", "days", "tier", "category", "delay_days", "channels", "subject", "text",
                   "offer_points", "offer_ttl_days", "active"]
    PARAMS = {"birthday": ("days_before", "family"), "winback": ("days",), "tier_reached": ("tier",), "category_purchase": ("category", "delay_days")}

    def payload(self) -> dict:
        data = self.cleaned_data
        body = {**super().payload(), "name": data["name"], "code": data["code"], "event": data["event"], "active": data["active"]}
        for key in self.PARAMS.get(data["event"], ()):
            if data.get(key) not in (None, ""):
                body[key] = data[key]
        return body


class PreviewForm(forms.Form):
    customer = forms.CharField(label=_("Member: phone or card number"), max_length=40)


class TestForm(forms.Form):
    email = forms.EmailField(label=_("Send a sample to"))


class NotifyForm(forms.Form):
    sku = forms.CharField(widget=forms.HiddenInput, max_length=64)
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class RequestForm(forms.Form):
    sku = forms.CharField(label=_("SKU the customer wants"), max_length=64)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

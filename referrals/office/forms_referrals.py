"""The marketer's forms for referral settings and invite links: shape only; the services validate."""
from django import forms
from django.utils.translation import gettext_lazy as _

PERCENT_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


class ReferralSettingsForm(forms.Form):
    referee_welcome_bonus = forms.IntegerField(label=_("Friend's welcome bonus"), required=False, min_value=0, max_value=1_000_000,
                                               help_text=_("Instead of the program's; empty = the same as everyone."))
    referrer_bonus = forms.IntegerField(label=_("Points to the referrer for each friend"), min_value=0, max_value=1_000_000, initial=0)
    referrer_bonus_on = forms.ChoiceField(label=_("Credited"), choices=[("join", _("when the friend joins")),
                                                                        ("first_purchase", _("on the friend's first purchase"))])
    referee_extra_percent = forms.DecimalField(label=_("Friend's extra accrual, %"), min_value=0, max_value=100, decimal_places=2,
                                               initial=0, widget=forms.TextInput(attrs=PERCENT_ATTRS))
    referee_extra_purchases = forms.IntegerField(label=_("... on their first N purchases"), required=False, min_value=1, max_value=10_000,
                                                 help_text=_("Empty = every purchase."))
    referrer_percent = forms.DecimalField(label=_("Referrer's share of the friend's purchases, %"), min_value=0, max_value=100,
                                          decimal_places=2, initial=0, widget=forms.TextInput(attrs=PERCENT_ATTRS))
    referrer_percent_purchases = forms.IntegerField(label=_("... on the friend's first N purchases"), required=False, min_value=1,
                                                    max_value=10_000, help_text=_("Empty = every purchase."))
    second_level_percent = forms.DecimalField(label=_("Second level (the referrer's referrer), %"), min_value=0, max_value=100,
                                              decimal_places=2, initial=0, widget=forms.TextInput(attrs=PERCENT_ATTRS))
    monthly_cap = forms.IntegerField(label=_("Monthly cap per referrer, points"), required=False, min_value=1, max_value=100_000_000,
                                     help_text=_("Join and purchase rewards together; empty = no cap."))

    def as_changes(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("referee_extra_percent", "referrer_percent", "second_level_percent"):
            data[name] = str(data[name] if data[name] is not None else "0.00")
        return data


class InviteLinkForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    code = forms.CharField(label=_("Code"), max_length=64, help_text=_("Letters, digits, - and _; it goes into the link and cannot change."))
    channel = forms.CharField(label=_("Channel"), max_length=64, required=False, help_text=_("A free label: partner, ads, social ..."))
    welcome_bonus = forms.IntegerField(label=_("Welcome bonus"), required=False, min_value=0, max_value=1_000_000,
                                       help_text=_("Instead of the program's; empty = the program's."))
    offer_promotion = forms.CharField(label=_("Personal offer: promotion code"), max_length=64, required=False)
    offer_days = forms.IntegerField(label=_("Offer lasts, days"), required=False, min_value=1, max_value=36_500)
    offer_uses = forms.IntegerField(label=_("Offer uses"), required=False, min_value=1, max_value=1_000_000)
    gift_name = forms.CharField(label=_("Gift on joining"), max_length=200, required=False)
    gift_sku = forms.CharField(label=_("Gift SKU"), max_length=64, required=False)
    gift_quantity = forms.DecimalField(label=_("Gift quantity"), required=False, min_value=0, decimal_places=3, max_digits=12)
    cost = forms.DecimalField(label=_("Placement cost"), required=False, min_value=0, decimal_places=2, max_digits=14,
                              help_text=_("For the cost per buyer; empty = unknown."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True

    def as_data(self, *, editing: bool) -> dict:
        data = self.cleaned_data
        out = {"name": data["name"], "channel": data["channel"], "welcome_bonus": data["welcome_bonus"],
               "cost": str(data["cost"]) if data["cost"] is not None else None, "active": data["active"]}
        if not editing:
            out["code"] = data["code"]
        out["offers"] = ([{"promotion": data["offer_promotion"], "days": data["offer_days"], "uses": data["offer_uses"]}]
                         if data["offer_promotion"] else [])
        out["gifts"] = ([{"name": data["gift_name"], "sku": data["gift_sku"], "quantity": str(data["gift_quantity"] or 1)}]
                        if data["gift_name"] or data["gift_sku"] else [])
        return out


def link_initial(link) -> dict:
    offer = link.offers[0] if link.offers else {}
    gift = link.gifts[0] if link.gifts else {}
    return {"name": link.name, "code": link.code, "channel": link.channel, "welcome_bonus": link.welcome_bonus,
            "offer_promotion": offer.get("promotion", ""), "offer_days": offer.get("days"), "offer_uses": offer.get("uses"),
            "gift_name": gift.get("name", ""), "gift_sku": gift.get("sku", ""), "gift_quantity": gift.get("quantity"),
            "cost": link.cost, "active": link.active}

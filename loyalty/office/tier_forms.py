"""Input shape for the tiers editor and the manual tier override.

The forms only turn text into the shapes the service takes (amounts as strings, counts as whole
numbers); the rules (non-negative, unique code and rank, a base tier left) stay in
loyalty.services.tiers, whose errors the views put back beside these fields.
"""
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.inputs import DateField

CONDITION_KEYS = ("total_spend", "purchases", "single_receipt", "referrals")
MONEY_KEYS = ("total_spend", "single_receipt")
CONDITION_LABELS = {
    "total_spend": _("Total spend"),
    "purchases": _("Purchases"),
    "single_receipt": _("One receipt of at least"),
    "referrals": _("Friends invited"),
}
SPACES = (" ", "\u00a0", "\u202f")


def _number_text(value: str) -> str:
    """`10 000,50` → `10000.50`: what people type, in the shape the service reads (it validates)."""
    text = (value or "").strip()
    for space in SPACES:
        text = text.replace(space, "")
    return text.replace(",", ".")


class NumberText(forms.CharField):
    """A number typed in either language; the service says whether it is a valid one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        return _number_text(super().to_python(value))


class WholeNumber(forms.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"inputmode": "numeric", "step": "1"}))
        super().__init__(**kwargs)


class TierForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What customers see: Silver, Gold."))
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_("Letters, digits, - or _; for the API: gold."))
    rank = forms.IntegerField(label=_("Rank"), min_value=0, max_value=1000, help_text=_("Higher ranks are higher tiers."))
    accrual_percent = NumberText(label=_("Points, share of the amount paid"), help_text=_("Empty: the program's rate."))
    max_redeem_percent = NumberText(label=_("Payable with points, share of a receipt"), help_text=_("Empty: the program's cap."))
    discount_percent = NumberText(label=_("Discount, share of every receipt"), help_text=_("Empty or 0: no discount."))
    entry_total_spend = NumberText(label=CONDITION_LABELS["total_spend"], help_text=_("Net of returns."))
    entry_purchases = WholeNumber(label=CONDITION_LABELS["purchases"], help_text=_("Receipts not fully returned."))
    entry_single_receipt = NumberText(label=CONDITION_LABELS["single_receipt"])
    entry_referrals = WholeNumber(label=CONDITION_LABELS["referrals"], help_text=_("Customers who joined with their code."))
    window_days = WholeNumber(label=_("Counting window, days"), help_text=_("Empty: all time. Else only the last N days count."))
    keep_total_spend = NumberText(label=CONDITION_LABELS["total_spend"])
    keep_purchases = WholeNumber(label=CONDITION_LABELS["purchases"])
    keep_single_receipt = NumberText(label=CONDITION_LABELS["single_receipt"])
    keep_referrals = WholeNumber(label=CONDITION_LABELS["referrals"])

    PERCENT_FIELDS = ("accrual_percent", "max_redeem_percent", "discount_percent")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_errors = {"entry": [], "keep": []}
        for name in self.fields:
            if name.endswith("_percent"):
                self.fields[name].widget.attrs["placeholder"] = "0.00" if name == "discount_percent" else "—"

    @property
    def has_problems(self) -> bool:
        return bool(self.errors) or any(self.group_errors.values())

    def condition_fields(self, group: str):
        return [self[f"{group}_{key}"] for key in CONDITION_KEYS]

    def entry_fields(self):
        return self.condition_fields("entry")

    def keep_fields(self):
        return self.condition_fields("keep")

    def _conditions(self, group: str) -> dict:
        data = self.cleaned_data
        conditions = {}
        for key in CONDITION_KEYS:
            value = data.get(f"{group}_{key}")
            if value in (None, ""):
                continue
            conditions[key] = value
        return conditions

    def tier_data(self) -> dict:
        """The tier as the service takes it (docs/api.md shape); call after is_valid()."""
        data = self.cleaned_data
        keep = self._conditions("keep")
        return {
            "code": data["code"].strip(),
            "name": data["name"].strip(),
            "rank": data["rank"],
            "accrual_percent": data["accrual_percent"] or None,
            "max_redeem_percent": data["max_redeem_percent"] or None,
            "discount_percent": data["discount_percent"] or "0",
            "entry": self._conditions("entry"),
            "window_days": data["window_days"],
            "keep": keep or None,
        }

    def apply_service_errors(self, message_dict: dict) -> None:
        """Put the service's keys (`entry.total_spend`, `rank`, `entry`) beside the matching fields."""
        for key, messages in message_dict.items():
            field = key.replace(".", "_")
            if field in self.fields:
                self.add_error(field, messages)
            elif key in self.group_errors:
                self.group_errors[key].extend(messages)
            else:
                self.add_error(None, messages)

    @classmethod
    def initial_for(cls, tier) -> dict:
        initial = {
            "name": tier.name, "code": tier.code, "rank": tier.rank,
            "accrual_percent": "" if tier.accrual_percent is None else tier.accrual_percent,
            "max_redeem_percent": "" if tier.max_redeem_percent is None else tier.max_redeem_percent,
            "discount_percent": tier.discount_percent,
            "window_days": tier.window_days,
        }
        for group, conditions in (("entry", tier.entry or {}), ("keep", tier.keep or {})):
            for key, value in conditions.items():
                initial[f"{group}_{key}"] = value
        return initial


class TierOverrideForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"))
    until = DateField(label=_("Until"), widget=forms.DateInput(attrs={"type": "date"}),
                            help_text=_("The customer returns to their earned tier at the end of this day."))
    reason = forms.CharField(label=_("Reason"), max_length=250, help_text=_("Recorded in the tier history and the audit log."))

    def __init__(self, *args, tiers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", "—")] + [(tier.code, tier.name) for tier in tiers]


class TierOverrideEndForm(forms.Form):
    end_reason = forms.CharField(label=_("Why end it now"), max_length=250)

"""The marketer's forms. The editor turns its fields into the API's JSON of a promotion (API.md
"Promotions") and hands it to promotion_create / promotion_update; the services validate it and
their errors are put back beside the fields they name (`field_for_error`)."""
from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts import selectors as account_selectors

WINDOWS = 2  # weekly windows shown on the editor
EFFECT_ROWS = 3  # effect rows shown on the editor

WEEKDAYS = [(1, _("Mon")), (2, _("Tue")), (3, _("Wed")), (4, _("Thu")), (5, _("Fri")), (6, _("Sat")), (7, _("Sun"))]

EFFECT_CHOICES = [
    ("", _("— none —")),
    ("percent_off", _("Percent off target lines")),
    ("amount_off", _("Amount off, split over target lines")),
    ("fixed_price", _("Fixed unit price of target lines")),
    ("points_multiplier", _("Points multiplier on target lines")),
    ("extra_points_percent", _("Extra accrual percent on target lines")),
    ("extra_points", _("Fixed extra points on the receipt")),
    ("unlock", _("Unlock a personal offer of another promotion")),
]

DATETIME_INPUT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _list(text: str) -> list[str]:
    """A comma- or line-separated list, blanks dropped, order kept, duplicates removed."""
    seen: list[str] = []
    for item in re.split(r"[,\n;]", text or ""):
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def _money(value) -> str | None:
    return None if value is None else str(value)


class PromotionForm(forms.Form):
    # --- About
    name = forms.CharField(label=pgettext_lazy("promotion", "Name"), max_length=200, help_text=_("What customers and cashiers read on the receipt, the till and the portal."))
    code = forms.CharField(label=_("Code"), max_length=64,
                           help_text=_("A short unique name for the API and reports: letters, digits, - and _, e.g. milk-yellow. It cannot be changed later."))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("Notes for your team; customers do not see it."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True, help_text=_("Untick to end the promotion at once."))
    priority = forms.IntegerField(label=_("Priority"), initial=0, help_text=_("Higher runs first; each discount works on what earlier ones left."))
    exclusive = forms.BooleanField(label=_("Exclusive"), required=False,
                                   help_text=_("Its target lines get no other promotion. Among exclusive promotions the one best for the customer wins."))
    # --- Schedule
    starts_at = forms.DateTimeField(label=_("Starts"), required=False, widget=DATETIME_INPUT,
                                    help_text=_("In the shop's time zone. Empty: from now on."))
    ends_at = forms.DateTimeField(label=_("Ends"), required=False, widget=DATETIME_INPUT,
                                  help_text=_("The first moment it no longer applies. Empty: no end."))
    # --- Audience
    audience_tiers = forms.MultipleChoiceField(label=_("Tiers"), required=False, widget=forms.CheckboxSelectMultiple,
                                               help_text=_("Only customers in these tiers. None ticked: every tier."))
    audience_customers = forms.CharField(label=_("Listed customers"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                         help_text=_("Phones or card numbers, one per line. Empty: no such restriction."))
    offer_only = forms.BooleanField(label=_("Only for holders of a personal offer"), required=False,
                                    help_text=_("Applies only to customers granted an offer of it (on their page, or unlocked by another promotion)."))
    # --- Conditions
    min_subtotal = forms.DecimalField(label=_("Receipt total at least"), required=False, min_value=0, decimal_places=2, max_digits=14,
                                      help_text=_("Before discounts. Empty: any total."))
    cond_skus = forms.CharField(label=_("Receipt holds SKUs"), required=False,
                                help_text=_("Comma-separated, e.g. MILK-1, MILK-2. The receipt must hold at least one of them."))
    cond_categories = forms.CharField(label=_("…or categories"), required=False, help_text=_("Comma-separated category names."))
    min_quantity = forms.DecimalField(label=_("Of them at least, units"), required=False, min_value=0, decimal_places=3, max_digits=12,
                                      help_text=_("Units of those SKUs or categories in all. Empty: 1."))
    previous_purchase_min = forms.DecimalField(label=_("Previous purchase at least"), required=False, min_value=0, decimal_places=2, max_digits=14,
                                               help_text=_("The customer's latest earlier receipt cost at least this much."))
    first_purchase = forms.BooleanField(label=_("First purchase only"), required=False, help_text=_("The customer has bought nothing before."))
    every_nth_n = forms.IntegerField(label=_("Every Nth purchase"), required=False, min_value=2, max_value=1000,
                                     help_text=_("A stamp card: e.g. 5 rewards every fifth purchase. Empty: not a stamp card."))
    every_nth_days = forms.IntegerField(label=_("…within days"), required=False, min_value=1, max_value=3650,
                                        help_text=_("Purchases older than this do not count. Empty: all time."))
    code_required = forms.BooleanField(label=_("A promo code is required"), required=False,
                                       help_text=_("Applies only when one of its codes is shown at the till (make codes on the Codes page)."))
    # --- Target
    target_skus = forms.CharField(label=_("Target SKUs"), required=False, help_text=_("The lines the effects act on. Comma-separated."))
    target_categories = forms.CharField(label=_("Target categories"), required=False,
                                        help_text=_("Lines of these categories are targets too. Both empty: every line."))
    # --- Blocks
    block_accrual = forms.BooleanField(label=_("No points earned on target lines"), required=False,
                                       help_text=_("The “yellow price tag”: a discounted item earns nothing."))
    block_redemption = forms.BooleanField(label=_("No points spent on target lines"), required=False,
                                          help_text=_("Target lines cannot be paid with points."))
    # --- Limits
    per_customer = forms.IntegerField(label=_("Receipts per customer"), required=False, min_value=1, max_value=1_000_000,
                                      help_text=_("Empty: no limit."))
    total_uses = forms.IntegerField(label=_("Receipts in all"), required=False, min_value=1, max_value=100_000_000, help_text=_("Empty: no limit."))
    budget_amount = forms.DecimalField(label=_("Discount budget"), required=False, min_value=0, decimal_places=2, max_digits=14,
                                       help_text=_("Money it may take off in all; the last receipt gets what remains."))
    budget_points = forms.IntegerField(label=_("Points budget"), required=False, min_value=0, max_value=1_000_000_000,
                                       help_text=_("Points it may add in all."))

    def __init__(self, *args, merchant, tiers=(), promotions=(), promotion=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant
        self.promotion = promotion
        self.fields["audience_tiers"].choices = [(tier.code, tier.name) for tier in tiers]
        for index in range(1, WINDOWS + 1):
            self.fields[f"window_{index}_days"] = forms.TypedMultipleChoiceField(
                label=_("Days"), required=False, choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple,
                help_text=_("Only on these weekdays, between the times below. No day ticked: any time."))
            self.fields[f"window_{index}_from"] = forms.TimeField(label=_("From"), required=False, widget=TIME_INPUT)
            self.fields[f"window_{index}_to"] = forms.TimeField(label=_("To"), required=False, widget=TIME_INPUT,
                                                                help_text=_("Not included: 18:00–20:00 ends at 19:59."))
        unlockable = [("", "—")] + [(item.code, f"{item.name} ({item.code})") for item in promotions
                                    if promotion is None or item.pk != promotion.pk]
        for index in range(1, EFFECT_ROWS + 1):
            self.fields[f"effect_{index}_type"] = forms.ChoiceField(label=_("Effect"), required=False, choices=EFFECT_CHOICES)
            self.fields[f"effect_{index}_value"] = forms.CharField(
                label=_("Value"), required=False, max_length=20,
                help_text=_("Percent for percent effects, money for amounts and prices, a factor for the multiplier (2 = double), points for extra points."))
            self.fields[f"effect_{index}_promotion"] = forms.ChoiceField(label=_("Promotion to unlock"), required=False, choices=unlockable)
            self.fields[f"effect_{index}_days"] = forms.IntegerField(label=_("For days"), required=False, min_value=1, max_value=3650)
            self.fields[f"effect_{index}_uses"] = forms.IntegerField(label=_("For receipts"), required=False, min_value=1, max_value=1000,
                                                                     help_text=_("Whichever ends first. Empty: no receipt limit."))
        if promotion is not None:
            self.fields["code"].disabled = True
            self.fields["code"].required = False
        self._window_rows: list[int] = []
        self._effect_rows: list[int] = []

    # --- sections for the template
    def windows(self):
        return [(self[f"window_{i}_days"], self[f"window_{i}_from"], self[f"window_{i}_to"]) for i in range(1, WINDOWS + 1)]

    def effect_rows(self):
        return [{name: self[f"effect_{i}_{name}"] for name in ("type", "value", "promotion", "days", "uses")} for i in range(1, EFFECT_ROWS + 1)]

    def clean(self):
        data = super().clean()
        # Listed customers are written by phone or card; the API wants their ids.
        ids = []
        unknown = []
        for item in _list(data.get("audience_customers", "")):
            customer = account_selectors.customer_lookup(merchant=self.merchant, q=item)
            if customer is None:
                unknown.append(item)
            elif str(customer.pk) not in ids:
                ids.append(str(customer.pk))
        if unknown:
            self.add_error("audience_customers", _("No customer with this phone or card: %(items)s.") % {"items": ", ".join(unknown[:5])})
        data["customer_ids"] = ids
        for index in range(1, WINDOWS + 1):
            days = data.get(f"window_{index}_days") or []
            start, end = data.get(f"window_{index}_from"), data.get(f"window_{index}_to")
            if not days and (start or end):
                self.add_error(f"window_{index}_days", _("Tick at least one day for this window."))
            elif days and (start is None or end is None):
                self.add_error(f"window_{index}_from" if start is None else f"window_{index}_to", _("Give both times of the window."))
        if data.get("every_nth_days") and not data.get("every_nth_n"):
            self.add_error("every_nth_n", _("Give the number of purchases too."))
        if not any(data.get(f"effect_{i}_type") for i in range(1, EFFECT_ROWS + 1)):
            self.add_error("effect_1_type", _("Choose at least one effect."))
        for index in range(1, EFFECT_ROWS + 1):
            kind = data.get(f"effect_{index}_type")
            if kind and kind != "unlock" and not (data.get(f"effect_{index}_value") or "").strip():
                self.add_error(f"effect_{index}_value", _("Give a value for this effect."))
            if kind == "unlock" and not data.get(f"effect_{index}_promotion"):
                self.add_error(f"effect_{index}_promotion", _("Choose the promotion to unlock."))
        return data

    def _moment(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        zone = ZoneInfo(self.merchant.timezone)
        return value.replace(tzinfo=None).replace(tzinfo=zone).isoformat()

    def api_dict(self) -> dict:
        """The API's JSON of the promotion (API.md "Promotions")."""
        data = self.cleaned_data
        weekly = []
        self._window_rows = []
        for index in range(1, WINDOWS + 1):
            days = sorted(data.get(f"window_{index}_days") or [])
            if days:
                weekly.append({"days": days, "from": data[f"window_{index}_from"].strftime("%H:%M"),
                               "to": data[f"window_{index}_to"].strftime("%H:%M")})
                self._window_rows.append(index)
        effects = []
        self._effect_rows = []
        for index in range(1, EFFECT_ROWS + 1):
            kind = data.get(f"effect_{index}_type")
            if not kind:
                continue
            if kind == "unlock":
                effects.append({"type": "unlock", "promotion": data[f"effect_{index}_promotion"], "days": data.get(f"effect_{index}_days"),
                                "uses": data.get(f"effect_{index}_uses")})
            else:
                effects.append({"type": kind, "value": data[f"effect_{index}_value"].strip().replace(",", ".")})
            self._effect_rows.append(index)
        every_nth = None
        if data.get("every_nth_n"):
            every_nth = {"n": data["every_nth_n"], "days": data.get("every_nth_days")}
        result = {
            "name": data["name"],
            "description": data.get("description", ""),
            "active": bool(data.get("active")),
            "priority": data.get("priority") or 0,
            "exclusive": bool(data.get("exclusive")),
            "starts_at": self._moment(data.get("starts_at")),
            "ends_at": self._moment(data.get("ends_at")),
            "weekly": weekly,
            "audience": {"tiers": list(data.get("audience_tiers") or []), "segments": [], "customers": data.get("customer_ids", []),
                         "offer_only": bool(data.get("offer_only"))},
            "conditions": {"min_subtotal": _money(data.get("min_subtotal")), "skus": _list(data.get("cond_skus", "")),
                           "categories": _list(data.get("cond_categories", "")),
                           "min_quantity": None if data.get("min_quantity") is None else str(data["min_quantity"]),
                           "previous_purchase_min": _money(data.get("previous_purchase_min")),
                           "first_purchase": bool(data.get("first_purchase")), "every_nth": every_nth,
                           "code_required": bool(data.get("code_required"))},
            "target": {"skus": _list(data.get("target_skus", "")), "categories": _list(data.get("target_categories", ""))},
            "effects": effects,
            "block_accrual": bool(data.get("block_accrual")),
            "block_redemption": bool(data.get("block_redemption")),
            "limits": {"per_customer": data.get("per_customer"), "total_uses": data.get("total_uses"),
                       "budget_amount": _money(data.get("budget_amount")), "budget_points": data.get("budget_points")},
        }
        if self.promotion is None:
            result = {"code": data["code"].strip(), **result}
        return result

    def field_for_error(self, key: str) -> str | None:
        """The form field that shows a service error named `key` (e.g. "effects[1].value", "limits.budget_amount")."""
        match = re.match(r"^(weekly|effects)\[(\d+)\](?:\.(\w+))?", key)
        if match:
            kind, position, part = match.group(1), int(match.group(2)), match.group(3)
            rows = self._window_rows if kind == "weekly" else self._effect_rows
            row = rows[position] if position < len(rows) else 1
            if kind == "weekly":
                return f"window_{row}_{part if part in ('from', 'to') else 'days'}"
            return f"effect_{row}_{part if part in ('type', 'value', 'promotion', 'days', 'uses') else 'value'}"
        plain = re.sub(r"\[\d+\]", "", key)
        direct = {
            "weekly": "window_1_days", "effects": "effect_1_type",
            "audience": "audience_tiers", "audience.tiers": "audience_tiers", "audience.customers": "audience_customers",
            "audience.offer_only": "offer_only", "audience.segments": "audience_tiers",
            "conditions": "min_subtotal", "conditions.skus": "cond_skus", "conditions.categories": "cond_categories",
            "conditions.every_nth": "every_nth_n", "conditions.every_nth.n": "every_nth_n", "conditions.every_nth.days": "every_nth_days",
            "target": "target_skus", "target.skus": "target_skus", "target.categories": "target_categories",
            "limits": "per_customer",
        }
        if plain in direct:
            return direct[plain]
        tail = plain.split(".")[-1]
        return tail if tail in self.fields else None

    @classmethod
    def initial_from(cls, data: dict, *, merchant, phones: dict) -> dict:
        """Form initial values from the API JSON of a stored promotion (`phones`: customer id -> phone)."""
        zone = ZoneInfo(merchant.timezone)

        def local(moment):
            return datetime.fromisoformat(moment).astimezone(zone).replace(tzinfo=None) if moment else None

        conditions, limits, audience, target = data["conditions"], data["limits"], data["audience"], data["target"]
        initial = {
            "name": data["name"], "code": data["code"], "description": data["description"], "active": data["active"],
            "priority": data["priority"], "exclusive": data["exclusive"],
            "starts_at": local(data["starts_at"]), "ends_at": local(data["ends_at"]),
            "audience_tiers": audience.get("tiers", []),
            "audience_customers": "\n".join(phones.get(item, item) for item in audience.get("customers", [])),
            "offer_only": audience.get("offer_only", False),
            "min_subtotal": conditions.get("min_subtotal"), "cond_skus": ", ".join(conditions.get("skus", [])),
            "cond_categories": ", ".join(conditions.get("categories", [])), "min_quantity": conditions.get("min_quantity"),
            "previous_purchase_min": conditions.get("previous_purchase_min"), "first_purchase": conditions.get("first_purchase", False),
            "every_nth_n": (conditions.get("every_nth") or {}).get("n"), "every_nth_days": (conditions.get("every_nth") or {}).get("days"),
            "code_required": conditions.get("code_required", False),
            "target_skus": ", ".join(target.get("skus", [])), "target_categories": ", ".join(target.get("categories", [])),
            "block_accrual": data["block_accrual"], "block_redemption": data["block_redemption"],
            **{key: limits.get(key) for key in ("per_customer", "total_uses", "budget_amount", "budget_points")},
        }
        for index, window in enumerate(data["weekly"][:WINDOWS], start=1):
            initial[f"window_{index}_days"] = window["days"]
            initial[f"window_{index}_from"] = window["from"]
            initial[f"window_{index}_to"] = window["to"]
        for index, effect in enumerate(data["effects"][:EFFECT_ROWS], start=1):
            initial[f"effect_{index}_type"] = effect["type"]
            if effect["type"] == "unlock":
                initial[f"effect_{index}_promotion"] = effect.get("promotion")
                initial[f"effect_{index}_days"] = effect.get("days")
                initial[f"effect_{index}_uses"] = effect.get("uses")
            else:
                initial[f"effect_{index}_value"] = effect.get("value")
        return initial


class PublicCodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=64, help_text=_("What customers type or show, e.g. SPRING30. Letters, digits, - and _."))
    per_customer = forms.IntegerField(label=_("Receipts per customer"), required=False, min_value=1, max_value=1_000_000,
                                      help_text=_("Empty: no limit."))
    uses = forms.IntegerField(label=_("Receipts in all"), required=False, min_value=1, max_value=100_000_000, help_text=_("Empty: no limit."))
    expires_at = forms.DateTimeField(label=_("Expires"), required=False, widget=DATETIME_INPUT, help_text=_("Empty: never."))


class CodeBatchForm(forms.Form):
    count = forms.IntegerField(label=_("How many codes"), required=False, min_value=1, max_value=100_000,
                               help_text=_("Single-use codes for anyone who shows one. Leave empty when you list customers."))
    prefix = forms.CharField(label=_("Prefix"), required=False, max_length=16, help_text=_("Optional, e.g. PET- gives PET-7KQ2M9XA."))
    customers = forms.CharField(label=_("Customers"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                                help_text=_("Phones or card numbers, one per line: each gets one code bound to them."))
    expires_at = forms.DateTimeField(label=_("Expires"), required=False, widget=DATETIME_INPUT, help_text=_("Empty: never."))

    def __init__(self, *args, merchant, **kwargs):
        super().__init__(*args, **kwargs)
        self.merchant = merchant

    def clean(self):
        data = super().clean()
        ids, unknown = [], []
        for item in _list(data.get("customers", "")):
            customer = account_selectors.customer_lookup(merchant=self.merchant, q=item)
            if customer is None:
                unknown.append(item)
            elif str(customer.pk) not in ids:
                ids.append(str(customer.pk))
        if unknown:
            self.add_error("customers", _("No customer with this phone or card: %(items)s.") % {"items": ", ".join(unknown[:5])})
        if not ids and not data.get("count") and not unknown and "count" not in self.errors:
            self.add_error("count", _("Give a number of codes or list customers."))
        data["customer_ids"] = ids
        return data


class GiftForm(forms.Form):
    name = forms.CharField(label=_("Gift"), max_length=200, help_text=_("What the customer reads, e.g. 5 packs of Whiskas."))
    sku = forms.CharField(label=_("SKU"), max_length=64, help_text=_("Lines of this SKU are free at the till, up to the quantity."))
    quantity = forms.DecimalField(label=_("Quantity"), min_value=0, decimal_places=3, max_digits=12, initial=1)
    expires_at = forms.DateTimeField(label=_("Expires"), required=False, widget=DATETIME_INPUT, help_text=_("Empty: never."))


class OfferForm(forms.Form):
    promotion = forms.ChoiceField(label=_("Promotion"), help_text=_("Usually one for offer holders only."))
    days = forms.IntegerField(label=_("For days"), required=False, min_value=1, max_value=3650, initial=7)
    uses = forms.IntegerField(label=_("For receipts"), required=False, min_value=1, max_value=1000, initial=1,
                              help_text=_("Whichever ends first. Empty: no receipt limit."))

    def __init__(self, *args, promotions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["promotion"].choices = [("", "—")] + [(item.code, item.name) for item in promotions]


def moment_iso(value: datetime | None, merchant) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(merchant.timezone)).isoformat()

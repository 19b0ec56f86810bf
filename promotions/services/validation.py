"""Promotion input, judged field by field (API.md "Promotions"): every bad field is named, nothing is guessed.

`promotion_validate` turns API JSON into the stored, canonical shape: numbers as canonical strings
(percentages with two places, money at the currency's precision), defaults filled in, so the
serialiser gives back exactly what the pricing core reads.
"""
from __future__ import annotations

import re
from datetime import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import ValidationError
from accounts.inputs import DATE_MAX, DATE_MIN, InputError, decimal_parse, integer_parse
from accounts.models import Customer, Merchant
from accounts.selectors import uuid_parse
from loyalty.drafts import unknown_keys_check
from loyalty.models import Tier
from loyalty.money import currency_places
from promotions.audience import segments_known
from promotions.models import Promotion, audience_default, conditions_default, limits_default, target_default

PROMOTION_FIELDS = ("code", "name", "description", "active", "priority", "exclusive", "starts_at", "ends_at", "weekly", "audience",
                    "conditions", "target", "effects", "block_accrual", "block_redemption", "limits")
READ_ONLY_FIELDS = ("uses", "spent_amount", "spent_points")
AUDIENCE_KEYS = tuple(audience_default())
CONDITION_KEYS = tuple(conditions_default())
TARGET_KEYS = tuple(target_default())
LIMIT_KEYS = tuple(limits_default())
VALUE_EFFECTS = ("percent_off", "amount_off", "fixed_price", "points_multiplier", "extra_points_percent", "extra_points")
EFFECT_TYPES = VALUE_EFFECTS + ("unlock",)
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
TIME_PATTERN = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]|24:00")
MAX_EFFECTS = 20
MAX_WINDOWS = 50
MAX_LIST = 1000
MAX_CUSTOMERS = 10_000
MAX_DAYS = 36_500
MAX_COUNT = 10**9


# ---------------------------------------------------------------- small parsers (each sets errors[field] or returns a value)


def _bool(value, *, field: str, errors: dict):
    if not isinstance(value, bool):
        errors[field] = [_("Send true or false.")]
        return None
    return value


def _text(value, *, field: str, errors: dict, max_length: int, required: bool) -> str | None:
    if not isinstance(value, str):
        errors[field] = [_("Send text.")]
        return None
    value = value.strip()
    if required and not value:
        errors[field] = [_("This field is required.")]
        return None
    if len(value) > max_length:
        errors[field] = [ngettext("At most %(n)d character.", "At most %(n)d characters.", max_length) % {"n": max_length}]
        return None
    return value


def _count(value, *, field: str, errors: dict, minimum: int = 0, maximum: int = MAX_COUNT, nullable: bool = True):
    """A whole number from `minimum` to `maximum` (JSON integers only), or null when allowed."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = [_("Send a whole number.")]
        return None
    if value < minimum or value > maximum:
        if value < 0:
            errors[field] = [_("Must not be negative.")]
        else:
            errors[field] = [_("Send a whole number from %(low)d to %(high)d.") % {"low": minimum, "high": maximum}]
        return None
    return value


def _decimal(value, *, field: str, errors: dict, places: int, maximum=None, nullable: bool = True, integer_digits: int = 12):
    """A non-negative decimal as its canonical string, or null when allowed."""
    if value is None and nullable:
        return None
    try:
        number = decimal_parse(value, places=places, integer_digits=integer_digits)
    except InputError as exc:
        errors[field] = [exc.message]
        return None
    if number < 0:
        errors[field] = [_("Must not be negative.")]
        return None
    if maximum is not None and number > maximum:
        errors[field] = [_("Send a percentage from 0 to 100.") if maximum == 100 else
                         _("At most %(max)s.") % {"max": maximum}]
        return None
    return str(number)


def _percent(value, *, field: str, errors: dict):
    return _decimal(value, field=field, errors=errors, places=2, maximum=100, nullable=False, integer_digits=3)


def _strings(value, *, field: str, errors: dict, max_length: int, max_items: int = MAX_LIST) -> list[str] | None:
    if not isinstance(value, list):
        errors[field] = [_("Send a list.")]
        return None
    if len(value) > max_items:
        errors[field] = [ngettext("At most %(n)d item.", "At most %(n)d items.", max_items) % {"n": max_items}]
        return None
    out: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item.strip() or len(item.strip()) > max_length:
            errors[f"{field}[{index}]"] = [ngettext("Send text of 1 to %(n)d character.", "Send text of 1 to %(n)d characters.",
                                                    max_length) % {"n": max_length}]
            continue
        if item.strip() not in out:
            out.append(item.strip())
    return out


def moment_parse(value, *, field: str, errors: dict, nullable: bool = True) -> datetime | None:
    """An ISO 8601 moment with its offset (null when allowed)."""
    if value is None and nullable:
        return None
    moment = None
    if isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
    if moment is None or timezone.is_naive(moment):
        errors[field] = [_("Send an ISO 8601 date and time with its offset, such as 2026-11-23T10:30:00+03:00.")]
        return None
    if not DATE_MIN.year < moment.year < DATE_MAX.year:
        errors[field] = [_("Enter a date from %(low)s to %(high)s.") % {"low": DATE_MIN.isoformat(), "high": DATE_MAX.isoformat()}]
        return None
    return moment


def promotion_code_check(value, *, field: str, errors: dict) -> str | None:
    if not isinstance(value, str) or not CODE_PATTERN.fullmatch(value.strip()):
        errors[field] = [_("Use 1 to 64 letters, digits, - or _.")]
        return None
    return value.strip()


# ---------------------------------------------------------------- parts of a promotion


def _weekly(value, *, errors: dict) -> list | None:
    if not isinstance(value, list):
        errors["weekly"] = [_("Send a list of windows such as {\"days\": [5], \"from\": \"18:00\", \"to\": \"20:00\"}.")]
        return None
    if len(value) > MAX_WINDOWS:
        errors["weekly"] = [ngettext("At most %(n)d window.", "At most %(n)d windows.", MAX_WINDOWS) % {"n": MAX_WINDOWS}]
        return None
    out = []
    for index, window in enumerate(value):
        prefix = f"weekly[{index}]"
        if not isinstance(window, dict):
            errors[prefix] = [_("Send a window such as {\"days\": [5], \"from\": \"18:00\", \"to\": \"20:00\"}.")]
            continue
        before = len(errors)
        unknown_keys_check(window, ("days", "from", "to"), errors=errors, prefix=prefix)
        days = window.get("days")
        if (not isinstance(days, list) or not days
                or not all(not isinstance(day, bool) and isinstance(day, int) and 1 <= day <= 7 for day in days)):
            errors[f"{prefix}.days"] = [_("Send ISO weekdays from 1 (Monday) to 7 (Sunday), at least one.")]
        times = {}
        for key in ("from", "to"):
            text = window.get(key)
            if not isinstance(text, str) or not TIME_PATTERN.fullmatch(text) or (key == "from" and text == "24:00"):
                errors[f"{prefix}.{key}"] = [_("Send a time as HH:MM, such as 18:00.")]
            else:
                times[key] = text
        if len(times) == 2 and times["from"] >= times["to"]:
            errors[f"{prefix}.from"] = [_("The window must start before it ends.")]
        if len(errors) == before:
            out.append({"days": sorted(set(days)), "from": times["from"], "to": times["to"]})
    return out


def _audience(value, *, merchant: Merchant, errors: dict) -> dict | None:
    if not isinstance(value, dict):
        errors["audience"] = [_("Send an object with tiers, segments, customers and offer_only.")]
        return None
    before = len(errors)
    unknown_keys_check(value, AUDIENCE_KEYS, errors=errors, prefix="audience")
    clean = audience_default()
    if "tiers" in value:
        tiers = _strings(value["tiers"], field="audience.tiers", errors=errors, max_length=32)
        if tiers:
            known = set(Tier.objects.filter(merchant=merchant, code__in=tiers).values_list("code", flat=True))
            unknown = [code for code in tiers if code not in known]
            if unknown:
                errors["audience.tiers"] = [_("Unknown tier: %(codes)s.") % {"codes": ", ".join(unknown[:10])}]
        clean["tiers"] = tiers or []
    if "segments" in value:
        segments = _strings(value["segments"], field="audience.segments", errors=errors, max_length=64)
        if segments:
            # Segments are defined above promotions (campaigns registers a resolver); none known without it.
            known = segments_known(merchant=merchant, codes=segments)
            unknown = [code for code in segments if code not in known]
            if unknown:
                errors["audience.segments"] = [_("Unknown segment: %(codes)s.") % {"codes": ", ".join(unknown[:10])}]
        clean["segments"] = segments or []
    if "customers" in value:
        ids = _strings(value["customers"], field="audience.customers", errors=errors, max_length=64, max_items=MAX_CUSTOMERS)
        if ids:
            clean["customers"] = _customer_ids(ids, merchant=merchant, field="audience.customers", errors=errors)
    if "offer_only" in value:
        clean["offer_only"] = _bool(value["offer_only"], field="audience.offer_only", errors=errors)
    return clean if len(errors) == before else None


def _customer_ids(ids: list[str], *, merchant: Merchant, field: str, errors: dict) -> list[str]:
    """The merchant's customers named by id, in the order given; any other id is named as unknown."""
    parsed = {text: uuid_parse(text) for text in ids}
    known = set(Customer.objects.filter(merchant=merchant, pk__in=[uid for uid in parsed.values() if uid]).values_list("pk", flat=True))
    unknown = [text for text, uid in parsed.items() if uid not in known]
    if unknown:
        errors[field] = [_("Unknown customer: %(ids)s.") % {"ids": ", ".join(unknown[:5])}]
        return []
    return [str(parsed[text]) for text in ids]


def _conditions(value, *, merchant: Merchant, errors: dict) -> dict | None:
    if not isinstance(value, dict):
        errors["conditions"] = [_("Send an object of conditions.")]
        return None
    before = len(errors)
    unknown_keys_check(value, CONDITION_KEYS, errors=errors, prefix="conditions")
    places = currency_places(merchant.currency)
    clean = conditions_default()
    for key in ("min_subtotal", "previous_purchase_min"):
        if key in value:
            clean[key] = _decimal(value[key], field=f"conditions.{key}", errors=errors, places=places)
    if "skus" in value:
        clean["skus"] = _strings(value["skus"], field="conditions.skus", errors=errors, max_length=64) or []
    if "categories" in value:
        clean["categories"] = _strings(value["categories"], field="conditions.categories", errors=errors, max_length=100) or []
    if "min_quantity" in value:
        quantity = _decimal(value["min_quantity"], field="conditions.min_quantity", errors=errors, places=3)
        if quantity is not None and quantity == "0.000":
            errors["conditions.min_quantity"] = [_("Must be greater than zero.")]
        clean["min_quantity"] = quantity
    for key in ("first_purchase", "code_required"):
        if key in value:
            clean[key] = _bool(value[key], field=f"conditions.{key}", errors=errors)
    if "every_nth" in value and value["every_nth"] is not None:
        nth = value["every_nth"]
        if not isinstance(nth, dict):
            errors["conditions.every_nth"] = [_("Send {\"n\": 5, \"days\": 30}, or null.")]
        else:
            unknown_keys_check(nth, ("n", "days"), errors=errors, prefix="conditions.every_nth")
            if "n" not in nth:
                errors["conditions.every_nth.n"] = [_("This field is required.")]
            n = _count(nth.get("n"), field="conditions.every_nth.n", errors=errors, minimum=1, maximum=10_000, nullable=False)
            days = _count(nth.get("days"), field="conditions.every_nth.days", errors=errors, minimum=1, maximum=MAX_DAYS)
            clean["every_nth"] = {"n": n, "days": days}
    return clean if len(errors) == before else None


def _target(value, *, errors: dict) -> dict | None:
    if not isinstance(value, dict):
        errors["target"] = [_("Send an object with skus and categories.")]
        return None
    before = len(errors)
    unknown_keys_check(value, TARGET_KEYS, errors=errors, prefix="target")
    clean = target_default()
    if "skus" in value:
        clean["skus"] = _strings(value["skus"], field="target.skus", errors=errors, max_length=64) or []
    if "categories" in value:
        clean["categories"] = _strings(value["categories"], field="target.categories", errors=errors, max_length=100) or []
    return clean if len(errors) == before else None


def _effects(value, *, merchant: Merchant, own_code: str | None, errors: dict) -> list | None:
    if not isinstance(value, list) or not value:
        errors["effects"] = [_("Send a list of at least one effect, such as {\"type\": \"percent_off\", \"value\": \"25\"}.")]
        return None
    if len(value) > MAX_EFFECTS:
        errors["effects"] = [ngettext("At most %(n)d effect.", "At most %(n)d effects.", MAX_EFFECTS) % {"n": MAX_EFFECTS}]
        return None
    places = currency_places(merchant.currency)
    before = len(errors)
    out = []
    for index, effect in enumerate(value):
        prefix = f"effects[{index}]"
        if not isinstance(effect, dict):
            errors[prefix] = [_("Send an effect object with a type.")]
            continue
        kind = effect.get("type")
        if kind not in EFFECT_TYPES:
            errors[f"{prefix}.type"] = [_("Unknown effect type; use one of: %(types)s.") % {"types": ", ".join(EFFECT_TYPES)}]
            continue
        if kind == "unlock":
            unknown_keys_check(effect, ("type", "promotion", "days", "uses"), errors=errors, prefix=prefix)
            code = promotion_code_check(effect.get("promotion"), field=f"{prefix}.promotion", errors=errors)
            if code is not None and code != own_code and not Promotion.objects.filter(merchant=merchant, code=code).exists():
                errors[f"{prefix}.promotion"] = [_("Unknown promotion: %(code)s.") % {"code": code}]
            if "days" not in effect:
                errors[f"{prefix}.days"] = [_("This field is required.")]
            days = _count(effect.get("days"), field=f"{prefix}.days", errors=errors, minimum=1, maximum=MAX_DAYS, nullable=False)
            uses = _count(effect.get("uses"), field=f"{prefix}.uses", errors=errors, minimum=1, maximum=MAX_COUNT)
            out.append({"type": "unlock", "promotion": code, "days": days, "uses": uses})
            continue
        unknown_keys_check(effect, ("type", "value"), errors=errors, prefix=prefix)
        field = f"{prefix}.value"
        raw = effect.get("value")
        if raw is None:
            errors[field] = [_("This field is required.")]
            continue
        if kind in ("percent_off", "extra_points_percent"):
            number = _percent(raw, field=field, errors=errors)
        elif kind in ("amount_off", "fixed_price"):
            number = _decimal(raw, field=field, errors=errors, places=places, nullable=False)
        elif kind == "points_multiplier":
            number = _decimal(raw, field=field, errors=errors, places=2, maximum=100, nullable=False, integer_digits=3)
        else:  # extra_points: whole points, a JSON integer or a string of digits
            try:
                number = integer_parse(raw, max_digits=9)
            except InputError as exc:
                errors[field] = [exc.message]
                number = None
            else:
                if number < 0:
                    errors[field] = [_("Must not be negative.")]
                    number = None
        out.append({"type": kind, "value": number})
    return out if len(errors) == before else None


def _limits(value, *, merchant: Merchant, errors: dict) -> dict | None:
    if not isinstance(value, dict):
        errors["limits"] = [_("Send an object with per_customer, total_uses, budget_amount and budget_points.")]
        return None
    before = len(errors)
    unknown_keys_check(value, LIMIT_KEYS, errors=errors, prefix="limits")
    clean = limits_default()
    for key in ("per_customer", "total_uses", "budget_points"):
        if key in value:
            clean[key] = _count(value[key], field=f"limits.{key}", errors=errors)
    if "budget_amount" in value:
        clean["budget_amount"] = _decimal(value["budget_amount"], field="limits.budget_amount", errors=errors,
                                          places=currency_places(merchant.currency))
    return clean if len(errors) == before else None


# ---------------------------------------------------------------- the whole promotion


def promotion_validate(*, merchant: Merchant, data, promotion: Promotion | None = None) -> dict:
    """Check promotion fields (code, name and effects required on create; any subset on update).

    Returns the clean values by model field name; objects come back whole with their defaults.

    Raises:
        ValidationError: each bad field named (`effects[0].value`, `weekly[1].from`, `audience.tiers`).
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    clean: dict = {}
    for key in data:
        if key in READ_ONLY_FIELDS:
            errors[key] = [_("This field is read-only: commits and returns count it.")]
        elif key not in PROMOTION_FIELDS:
            errors[str(key)] = [_("Unknown field.")]
    if promotion is None:
        for key in ("code", "name", "effects"):
            if key not in data:
                errors[key] = [_("This field is required.")]
    if "code" in data:
        code = promotion_code_check(data["code"], field="code", errors=errors)
        if code is not None:
            others = Promotion.objects.filter(merchant=merchant, code=code)
            if promotion is not None:
                others = others.exclude(pk=promotion.pk)
            if others.exists():
                errors["code"] = [_("A promotion with this code already exists.")]
            elif promotion is not None and code != promotion.code and _unlocked_by_others(merchant=merchant, promotion=promotion):
                errors["code"] = [_("Another promotion unlocks this one by its code; change that promotion first.")]
            else:
                clean["code"] = code
    if "name" in data:
        name = _text(data["name"], field="name", errors=errors, max_length=200, required=True)
        if name is not None:
            clean["name"] = name
    if "description" in data:
        description = _text(data["description"], field="description", errors=errors, max_length=2000, required=False)
        if description is not None:
            clean["description"] = description
    for key in ("active", "exclusive", "block_accrual", "block_redemption"):
        if key in data:
            flag = _bool(data[key], field=key, errors=errors)
            if flag is not None:
                clean[key] = flag
    if "priority" in data:
        priority = _count(data["priority"], field="priority", errors=errors, minimum=-1_000_000, maximum=1_000_000, nullable=False)
        if priority is not None:
            clean["priority"] = priority
    for key in ("starts_at", "ends_at"):
        if key in data:
            moment = moment_parse(data[key], field=key, errors=errors)
            if key not in errors:
                clean[key] = moment
    starts = clean.get("starts_at", promotion.starts_at if promotion else None)
    ends = clean.get("ends_at", promotion.ends_at if promotion else None)
    if "starts_at" not in errors and "ends_at" not in errors and starts is not None and ends is not None and starts >= ends:
        field = "starts_at" if "starts_at" in data else "ends_at"
        errors[field] = [_("The start must be before the end.")]
    parts = {
        "weekly": lambda value: _weekly(value, errors=errors),
        "audience": lambda value: _audience(value, merchant=merchant, errors=errors),
        "conditions": lambda value: _conditions(value, merchant=merchant, errors=errors),
        "target": lambda value: _target(value, errors=errors),
        "effects": lambda value: _effects(value, merchant=merchant, own_code=clean.get("code", promotion.code if promotion else None),
                                          errors=errors),
        "limits": lambda value: _limits(value, merchant=merchant, errors=errors),
    }
    for key, parse in parts.items():
        if key in data:
            value = parse(data[key])
            if value is not None:
                clean[key] = value
    if errors:
        raise ValidationError(errors)
    return clean


def _unlocked_by_others(*, merchant: Merchant, promotion: Promotion) -> bool:
    return any(
        effect.get("type") == "unlock" and effect.get("promotion") == promotion.code
        for other in Promotion.objects.filter(merchant=merchant).exclude(pk=promotion.pk).only("effects")
        for effect in other.effects
    )

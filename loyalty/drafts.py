"""Parsing a receipt draft from JSON-like data: the one place that decides what is bad input.

The POS API and the counter screen both build drafts here, so a line the API refuses the
counter refuses too, with the same message.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import ValidationError
from accounts.inputs import DATE_MAX, DATE_MIN, InputError, decimal_parse
from loyalty.checkout import Draft, DraftLine
from loyalty.money import currency_places

MAX_LINES = 1000
MAX_INTEGER_DIGITS = 12
QUANTITY_PLACES = 3
DRAFT_KEYS = ("customer", "phone", "store", "purchased_at", "lines", "redeem_points", "promo_codes", "explain")
LINE_KEYS = ("sku", "name", "category", "quantity", "price")
# A till's clock may run a little ahead of ours; a receipt further in the future is refused.
CLOCK_SKEW = timedelta(minutes=5)


def _decimal_field(value, *, places: int, allow_zero: bool, errors: dict, key: str) -> Decimal | None:
    """A quantity or price in its canonical form (`places` decimals, never "-0"), or None with errors[key] set."""
    try:
        number = decimal_parse(value, places=places, integer_digits=MAX_INTEGER_DIGITS)
    except InputError as exc:
        errors[key] = [exc.message]
        return None
    if number < 0 or (number == 0 and not allow_zero):
        errors[key] = [_("Must be greater than zero.") if not allow_zero else _("Must not be negative.")]
        return None
    return number


def unknown_keys_check(data: dict, allowed, *, errors: dict, prefix: str = "") -> None:
    """Name every key of `data` outside `allowed`: a misspelt key is refused, never silently ignored."""
    for key in data:
        if key not in allowed:
            name = f"{prefix}.{key}" if prefix else str(key)
            errors[name] = [_("Unknown field.")]


def _text(value, *, key: str, errors: dict, max_length: int, required: bool) -> str:
    if value is None or value == "":
        if required:
            errors[key] = [_("This field is required.")]
        return ""
    if not isinstance(value, str):
        errors[key] = [_("Send text.")]
        return ""
    value = value.strip()
    if required and not value:
        errors[key] = [_("This field is required.")]
    if len(value) > max_length:
        errors[key] = [ngettext("At most %(n)d character.", "At most %(n)d characters.", max_length) % {"n": max_length}]
    return value[:max_length]


def redeem_parse(value, *, errors: dict) -> int | str:
    if value is None:
        return 0
    if value == "max":
        return "max"
    if isinstance(value, bool) or not isinstance(value, int):
        errors["redeem_points"] = [_("Send a whole number of points, or \"max\".")]
        return 0
    if value < 0:
        errors["redeem_points"] = [_("Points to redeem cannot be negative.")]
        return 0
    if value > 10**12:
        errors["redeem_points"] = [_("The number is too large.")]
        return 0
    return value


def purchased_at_parse(value, *, errors: dict, now: datetime) -> datetime:
    if value in (None, ""):
        return now
    if not isinstance(value, str):
        errors["purchased_at"] = [_("Send an ISO 8601 date and time with its offset.")]
        return now
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        moment = None
    if moment is not None and not DATE_MIN.year < moment.year < DATE_MAX.year:
        errors["purchased_at"] = [_("That date is too far in the past.") if moment.year <= DATE_MIN.year else _("A purchase cannot be in the future.")]
        return now
    if moment is None or timezone.is_naive(moment):
        errors["purchased_at"] = [_("Send an ISO 8601 date and time with its offset, such as 2026-11-23T10:30:00+03:00.")]
        return now
    if moment > now + CLOCK_SKEW:
        errors["purchased_at"] = [_("A purchase cannot be in the future.")]
        return now
    if moment.year < 2000:
        errors["purchased_at"] = [_("That date is too far in the past.")]
        return now
    return moment


def draft_parse(data, *, currency: str, now: datetime | None = None, extra_keys: tuple[str, ...] = ()) -> Draft:
    """Build a Draft from request data; `extra_keys` are the other keys the caller reads (e.g. a commit's `number`).

    Raises:
        ValidationError: with a message per bad field, keys like `lines[2].price`.
    """
    now = now or timezone.now()
    errors: dict = {}
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    unknown_keys_check(data, DRAFT_KEYS + extra_keys, errors=errors)
    raw_lines = data.get("lines")
    lines: list[DraftLine] = []
    if not isinstance(raw_lines, list) or not raw_lines:
        errors["lines"] = [_("A receipt needs at least one line.")]
    elif len(raw_lines) > MAX_LINES:
        errors["lines"] = [ngettext("A receipt may have at most %(n)d line.", "A receipt may have at most %(n)d lines.", MAX_LINES) % {"n": MAX_LINES}]
    else:
        price_places = currency_places(currency)
        for index, raw in enumerate(raw_lines):
            prefix = f"lines[{index}]"
            if not isinstance(raw, dict):
                errors[prefix] = [_("Each line is an object with sku, quantity and price.")]
                continue
            unknown_keys_check(raw, LINE_KEYS, errors=errors, prefix=prefix)
            sku = _text(raw.get("sku"), key=f"{prefix}.sku", errors=errors, max_length=64, required=True)
            name = _text(raw.get("name"), key=f"{prefix}.name", errors=errors, max_length=200, required=False)
            category = _text(raw.get("category"), key=f"{prefix}.category", errors=errors, max_length=100, required=False)
            quantity = _decimal_field(raw.get("quantity"), places=QUANTITY_PLACES, allow_zero=False, errors=errors, key=f"{prefix}.quantity")
            price = _decimal_field(raw.get("price"), places=price_places, allow_zero=True, errors=errors, key=f"{prefix}.price")
            if quantity is not None and price is not None:
                if quantity * price >= Decimal(10) ** MAX_INTEGER_DIGITS:
                    errors[f"{prefix}.price"] = [_("The line amount is too large.")]
                    continue
                lines.append(DraftLine(sku=sku, name=name, category=category, quantity=quantity, price=price))
    redeem = redeem_parse(data.get("redeem_points"), errors=errors)
    purchased_at = purchased_at_parse(data.get("purchased_at"), errors=errors, now=now)
    codes = data.get("promo_codes") or []
    if not isinstance(codes, list) or not all(isinstance(code, str) and 0 < len(code) <= 64 for code in codes):
        errors["promo_codes"] = [_("Send a list of promo codes as strings.")]
        codes = []
    explain = data.get("explain", False)
    if not isinstance(explain, bool):
        errors["explain"] = [_("Send true or false.")]
        explain = False
    if not errors and sum((line.quantity * line.price for line in lines), Decimal(0)) >= Decimal(10) ** MAX_INTEGER_DIGITS:
        errors["lines"] = [_("The receipt total is too large.")]
    if errors:
        raise ValidationError(errors)
    return Draft(lines=tuple(lines), purchased_at=purchased_at, redeem_points=redeem, promo_codes=tuple(code.strip() for code in codes), explain=explain)

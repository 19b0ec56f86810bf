"""Checking what campaigns and triggers send: message text, channels and the attached offer."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.inputs import InputError, integer_parse, text_is_bad
from accounts.models import Merchant
from campaigns.models import CHANNELS

CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def text_check(value, *, field: str, errors: dict, max_length: int, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            errors[field] = [_("This field is required.")]
        return ""
    if not isinstance(value, str):
        errors[field] = [_("Send text.")]
        return None
    value = value.strip()
    if text_is_bad(value):
        errors[field] = [_("Remove the control or invalid characters (such as NUL) from this text.")]
        return None
    if len(value) > max_length:
        errors[field] = [_("At most %(n)s characters.") % {"n": max_length}]
        return None
    if required and not value:
        errors[field] = [_("This field is required.")]
        return None
    return value


def code_check(value, *, field: str, errors: dict) -> str | None:
    if not isinstance(value, str) or not CODE.fullmatch(value):
        errors[field] = [_("Use 1 to 64 letters, digits, - and _.")]
        return None
    return value


def int_check(value, *, field: str, errors: dict, low: int, high: int, nullable: bool) -> int | None:
    if value is None:
        if not nullable:
            errors[field] = [_("This field is required.")]
        return None
    if isinstance(value, bool):
        errors[field] = [_("Enter a whole number.")]
        return None
    try:
        number = integer_parse(value)
    except InputError as exc:
        errors[field] = [exc.message]
        return None
    if number < low or number > high:
        errors[field] = [_("Enter a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}]
        return None
    return number


def channels_check(value, *, field: str, errors: dict) -> list[str] | None:
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        errors[field] = [_("Name one or more of: email, sms, push.")]
        return None
    unknown = [item for item in value if item not in CHANNELS]
    if unknown:
        errors[field] = [_("Unknown channel: %(names)s. Use email, sms or push.") % {"names": ", ".join(unknown)[:100]}]
        return None
    seen: list[str] = []
    for item in value:
        if item not in seen:
            seen.append(item)
    return seen


def offer_check(value, *, merchant: Merchant, field: str, errors: dict) -> dict | None:
    """The offer as stored: null, {"points", "ttl_days"}, {"promotion", "days", "uses"}, {"codes"} or {"gift": {...}}."""
    if value is None:
        return None
    if not isinstance(value, dict):
        errors[field] = [_("Send null or an object with points, promotion, codes or gift.")]
        return None
    kinds = [key for key in ("points", "promotion", "codes", "gift") if key in value]
    allowed = {"points": ("points", "ttl_days"), "promotion": ("promotion", "days", "uses"), "codes": ("codes",), "gift": ("gift",)}
    if len(kinds) != 1:
        errors[field] = [_("Give exactly one of points, promotion, codes or gift.")]
        return None
    kind = kinds[0]
    for key in value:
        if key not in allowed[kind]:
            errors[f"{field}.{key}"] = [_("Unknown field.")]
    clean: dict = {}
    if kind == "points":
        clean["points"] = int_check(value["points"], field=f"{field}.points", errors=errors, low=1, high=1_000_000, nullable=False)
        clean["ttl_days"] = int_check(value.get("ttl_days"), field=f"{field}.ttl_days", errors=errors, low=1, high=36_500, nullable=True)
    elif kind in ("promotion", "codes"):
        code = code_check(value[kind], field=f"{field}.{kind}", errors=errors)
        if code is not None:
            from promotions.selectors import promotion_get

            if promotion_get(merchant=merchant, code=code) is None:
                errors[f"{field}.{kind}"] = [_("Unknown promotion: %(code)s.") % {"code": code}]
        clean[kind] = code
        if kind == "promotion":
            clean["days"] = int_check(value.get("days"), field=f"{field}.days", errors=errors, low=1, high=3650, nullable=True)
            clean["uses"] = int_check(value.get("uses"), field=f"{field}.uses", errors=errors, low=1, high=1_000_000, nullable=True)
    else:
        from promotions.services import gift_validate

        try:
            gift = gift_validate(value["gift"])
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"{field}.gift.{name}"] = messages
            return None
        clean["gift"] = {**value["gift"], "quantity": str(gift["quantity"])}
    return clean


def offer_resolve(*, merchant: Merchant, offer: dict | None) -> dict | None:
    """The stored offer with its promotion or gift looked up, as delivery.offers_grant takes it."""
    if not offer:
        return None
    resolved = dict(offer)
    if offer.get("promotion") or offer.get("codes"):
        from promotions.selectors import promotion_get

        key = "promotion" if offer.get("promotion") else "codes"
        promotion = promotion_get(merchant=merchant, code=offer[key])
        if promotion is None:
            return None
        resolved[key] = promotion
    if offer.get("gift"):
        from promotions.services import gift_validate

        resolved["gift"] = gift_validate(offer["gift"])
    return resolved

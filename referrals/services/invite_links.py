"""Invite links: create and change them, what a sign-up through one receives, and the per-link report.

Input is judged field by field (every bad field named, nothing guessed); the stored `offers` and `gifts`
are exactly the API's shapes.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.inputs import InputError, decimal_parse, integer_parse
from accounts.models import Customer, Merchant, User
from accounts.services import audit_record
from loyalty.drafts import unknown_keys_check
from loyalty.money import currency_places, quantity_text
from referrals.models import InviteLink, InviteSignup

LINK_FIELDS = ("code", "name", "channel", "welcome_bonus", "offers", "gifts", "cost", "active")
READ_ONLY_FIELDS = ("url", "qr", "created_at")
OFFER_KEYS = ("promotion", "days", "uses")
GIFT_KEYS = ("name", "sku", "quantity")
CODE_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_ITEMS = 20
MONEY_HIGH = Decimal(10) ** 12


def invite_code_normalise(code) -> str:
    return code.strip().lower() if isinstance(code, str) else ""


def _text(value, *, field: str, errors: dict, max_length: int, required: bool) -> str | None:
    if not isinstance(value, str):
        errors[field] = [_("Send text.")]
        return None
    value = value.strip()
    if required and not value:
        errors[field] = [_("This field is required.")]
        return None
    if len(value) > max_length or any(ord(ch) < 32 for ch in value):
        errors[field] = [_("Up to %(max)d characters, no control characters.") % {"max": max_length}]
        return None
    return value


def _count(value, *, field: str, errors: dict, low: int, high: int):
    if value is None:
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


def _offers(value, *, merchant: Merchant, errors: dict) -> list | None:
    from promotions.selectors import promotion_get

    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        errors["offers"] = [_("Send a list of up to %(max)d offers.") % {"max": MAX_ITEMS}]
        return None
    clean = []
    for index, item in enumerate(value):
        key = f"offers[{index}]"
        if not isinstance(item, dict):
            errors[key] = [_("Each offer is an object with promotion, days and uses.")]
            continue
        unknown_keys_check(item, OFFER_KEYS, errors=errors, prefix=key)
        code = item.get("promotion")
        if not isinstance(code, str) or not code.strip() or len(code) > 64:
            errors[f"{key}.promotion"] = [_("Name a promotion by its code.")]
            continue
        if promotion_get(merchant=merchant, code=code.strip()) is None:
            errors[f"{key}.promotion"] = [_("Unknown promotion: %(code)s.") % {"code": code.strip()[:64]}]
            continue
        days = _count(item.get("days"), field=f"{key}.days", errors=errors, low=1, high=36_500)
        uses = _count(item.get("uses"), field=f"{key}.uses", errors=errors, low=1, high=1_000_000)
        clean.append({"promotion": code.strip(), "days": days, "uses": uses})
    return clean


def _gifts(value, *, errors: dict) -> list | None:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        errors["gifts"] = [_("Send a list of up to %(max)d gifts.") % {"max": MAX_ITEMS}]
        return None
    clean = []
    for index, item in enumerate(value):
        key = f"gifts[{index}]"
        if not isinstance(item, dict):
            errors[key] = [_("Each gift is an object with name, sku and quantity.")]
            continue
        unknown_keys_check(item, GIFT_KEYS, errors=errors, prefix=key)
        name = _text(item.get("name"), field=f"{key}.name", errors=errors, max_length=200, required=True)
        sku = _text(item.get("sku"), field=f"{key}.sku", errors=errors, max_length=64, required=True)
        quantity = None
        try:
            quantity = decimal_parse(item.get("quantity", "1"), places=3, integer_digits=9)
            if quantity <= 0:
                errors[f"{key}.quantity"] = [_("Must be greater than zero.")]
                quantity = None
        except InputError as exc:
            errors[f"{key}.quantity"] = [exc.message]
        if name and sku and quantity is not None:
            clean.append({"name": name, "sku": sku, "quantity": quantity_text(quantity)})
    return clean


def invite_link_validate(*, merchant: Merchant, data, link: InviteLink | None = None) -> dict:
    """Check an invite link's fields (all of them for a new link, any for a change); return them cleaned.

    Raises:
        ValidationError: each bad or unknown field named.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    unknown_keys_check({key: value for key, value in data.items() if key not in READ_ONLY_FIELDS}, LINK_FIELDS, errors=errors)
    clean: dict = {}
    if link is None:
        for key in ("code", "name"):
            if key not in data:
                errors[key] = [_("This field is required.")]
    if "code" in data:
        code = invite_code_normalise(data["code"])
        if not CODE_PATTERN.fullmatch(code):
            errors["code"] = [_("Use 1 to 64 letters, digits, \"-\" or \"_\", starting with a letter or digit.")]
        elif link is not None and code != link.code:
            errors["code"] = [_("A link's code cannot be changed: it is printed on its QR code.")]
        else:
            clean["code"] = code
    if "name" in data:
        value = _text(data["name"], field="name", errors=errors, max_length=200, required=True)
        if value is not None:
            clean["name"] = value
    if "channel" in data:
        value = _text(data["channel"] if data["channel"] is not None else "", field="channel", errors=errors, max_length=64, required=False)
        if value is not None:
            clean["channel"] = value
    if "welcome_bonus" in data:
        if data["welcome_bonus"] is None:
            clean["welcome_bonus"] = None
        else:
            value = _count(data["welcome_bonus"], field="welcome_bonus", errors=errors, low=0, high=1_000_000)
            if "welcome_bonus" not in errors:
                clean["welcome_bonus"] = value
    if "offers" in data:
        value = _offers(data["offers"], merchant=merchant, errors=errors)
        if value is not None:
            clean["offers"] = value
    if "gifts" in data:
        value = _gifts(data["gifts"], errors=errors)
        if value is not None:
            clean["gifts"] = value
    if "cost" in data:
        if data["cost"] is None:
            clean["cost"] = None
        else:
            try:
                cost = decimal_parse(data["cost"], places=currency_places(merchant.currency))
                if cost < 0 or cost >= MONEY_HIGH:
                    errors["cost"] = [_("Enter a value from %(low)s to %(high)s.") % {"low": 0, "high": MONEY_HIGH - 1}]
                else:
                    clean["cost"] = cost
            except InputError as exc:
                errors["cost"] = [exc.message]
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Send true or false.")]
        else:
            clean["active"] = data["active"]
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def invite_link_create(*, merchant: Merchant, data, actor: User | None = None) -> InviteLink:
    """Raises: ValidationError (bad fields), Conflict invite_link_exists (the code is taken)."""
    clean = invite_link_validate(merchant=merchant, data=data)
    if InviteLink.objects.filter(merchant=merchant, code=clean["code"]).exists():
        raise Conflict("invite_link_exists", _("There is already an invite link with the code %(code)s.") % {"code": clean["code"]})
    try:
        with transaction.atomic():
            link = InviteLink.objects.create(merchant=merchant, **clean)
    except IntegrityError:
        raise Conflict("invite_link_exists", _("There is already an invite link with the code %(code)s.") % {"code": clean["code"]})
    audit_record(merchant=merchant, actor=actor, action="invite_link.created", target=link.code, data={"name": link.name})
    return link


@transaction.atomic
def invite_link_update(*, link: InviteLink, data, actor: User | None = None) -> InviteLink:
    """Raises: ValidationError (bad fields; nothing is written)."""
    clean = invite_link_validate(merchant=link.merchant, data=data, link=link)
    link = InviteLink.objects.select_for_update().get(pk=link.pk)
    before = {name: str(getattr(link, name)) for name in clean}
    for name, value in clean.items():
        setattr(link, name, value)
    link.save()
    if clean:
        audit_record(merchant=link.merchant, actor=actor, action="invite_link.updated", target=link.code,
                     data={"before": before, "after": {name: str(value) for name, value in clean.items()}})
    return link


def invite_link_for_join(*, merchant: Merchant, code) -> InviteLink | None:
    """The active link a newcomer joins through; None for no code.

    Raises:
        ApplicationError: invite_unknown (no such link, or it is switched off).
    """
    if code is None or (isinstance(code, str) and not code.strip()):
        return None
    normalised = invite_code_normalise(code)
    link = InviteLink.objects.filter(merchant=merchant, code=normalised, active=True).first() if normalised else None
    if link is None:
        detail = _("There is no active invite link %(code)s.") % {"code": str(code)[:64]}
        raise ApplicationError("invite_unknown", detail, fields={"invite": [detail]})
    return link


def invite_link_join(*, link: InviteLink, customer: Customer, at: datetime) -> None:
    """What a sign-up through `link` receives besides its welcome bonus: the attribution the report counts,
    the link's personal offers and its gifts (through promotions' services). A promotion deleted since
    the link was made is skipped."""
    from promotions.models import Promotion
    from promotions.services.offers import gift_grant, offer_grant

    InviteSignup.objects.create(merchant_id=link.merchant_id, link=link, customer=customer, joined_at=at)
    codes = [offer["promotion"] for offer in link.offers]
    promotions = {promotion.code: promotion for promotion in Promotion.objects.filter(merchant_id=link.merchant_id, code__in=codes)}
    for offer in link.offers:
        promotion = promotions.get(offer["promotion"])
        if promotion is not None:
            offer_grant(customer=customer, promotion=promotion, days=offer.get("days"), uses=offer.get("uses"), now=at)
    for gift in link.gifts:
        gift_grant(customer=customer, data={"name": gift["name"], "sku": gift["sku"], "quantity": gift["quantity"]})


_COST = "x.subtotal - x.discount - x.refunded_cost"


def invite_signup_recount(*, merchant_id: int, customer_id=None) -> int:
    """Recount `purchases` (receipts not fully returned) and `revenue` (their subtotal - discount less returns) of
    one customer's sign-up after their commit or return, or of every sign-up of the merchant after a bulk load.
    Set-based; returns the rows updated."""
    from django.db import connection

    with connection.cursor() as cursor:
        if customer_id is not None:
            # Raw SQL gets the id in the form the ORM stores it (32 hex digits on SQLite, uuid on PostgreSQL).
            customer_id = Customer._meta.pk.get_db_prep_value(customer_id, connection)
            cursor.execute(f"""
                UPDATE referrals_invitesignup SET
                    purchases = (SELECT COUNT(*) FROM loyalty_receipt x
                                 WHERE x.merchant_id = %s AND x.customer_id = %s AND x.fully_refunded = %s),
                    revenue = COALESCE((SELECT SUM({_COST}) FROM loyalty_receipt x
                                        WHERE x.merchant_id = %s AND x.customer_id = %s AND x.fully_refunded = %s), 0)
                WHERE merchant_id = %s AND customer_id = %s
            """, [merchant_id, customer_id, False, merchant_id, customer_id, False, merchant_id, customer_id])
            return cursor.rowcount
        cursor.execute("UPDATE referrals_invitesignup SET purchases = 0, revenue = 0 WHERE merchant_id = %s", [merchant_id])
        cursor.execute(f"""
            UPDATE referrals_invitesignup SET purchases = r.purchases, revenue = r.revenue
            FROM (
                SELECT x.customer_id, COUNT(*) AS purchases, SUM({_COST}) AS revenue
                FROM loyalty_receipt x JOIN referrals_invitesignup y ON y.customer_id = x.customer_id AND y.merchant_id = %s
                WHERE x.merchant_id = %s AND x.fully_refunded = %s
                GROUP BY x.customer_id
            ) AS r
            WHERE referrals_invitesignup.customer_id = r.customer_id AND referrals_invitesignup.merchant_id = %s
        """, [merchant_id, merchant_id, False, merchant_id])
        return cursor.rowcount

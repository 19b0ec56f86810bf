"""Personal offers and material gifts: granted to one customer, withdrawn by staff (API.md "Offers", "Material gifts")."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import Conflict, ValidationError
from accounts.models import Customer, User
from accounts.services import audit_record
from loyalty.drafts import unknown_keys_check
from loyalty.models import Receipt
from promotions.models import Gift, Offer, Promotion
from promotions.services.validation import MAX_COUNT, MAX_DAYS, _count, _decimal, _text, moment_parse, promotion_code_check

OFFER_KEYS = ("promotion", "days", "uses")
GIFT_KEYS = ("name", "sku", "quantity", "expires_at")


def offer_validate(*, customer: Customer, data) -> tuple[Promotion, int | None, int | None]:
    """`{"promotion": "<code>", "days": 7, "uses": 1}`: days and uses are optional (null = no end, no limit).

    Raises:
        ValidationError: unknown promotion, days or uses not a whole number of at least 1.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    unknown_keys_check(data, OFFER_KEYS, errors=errors)
    promotion = None
    if "promotion" not in data:
        errors["promotion"] = [_("This field is required.")]
    else:
        code = promotion_code_check(data["promotion"], field="promotion", errors=errors)
        if code is not None:
            promotion = Promotion.objects.filter(merchant_id=customer.merchant_id, code=code).first()
            if promotion is None:
                errors["promotion"] = [_("Unknown promotion: %(code)s.") % {"code": code}]
    days = _count(data.get("days"), field="days", errors=errors, minimum=1, maximum=MAX_DAYS)
    uses = _count(data.get("uses"), field="uses", errors=errors, minimum=1, maximum=MAX_COUNT)
    if errors:
        raise ValidationError(errors)
    return promotion, days, uses


@transaction.atomic
def offer_grant(*, customer: Customer, promotion: Promotion, days: int | None, uses: int | None, now: datetime | None = None,
                source_receipt: Receipt | None = None, actor: User | None = None) -> Offer:
    """Give one customer a personal offer of `promotion` for `days` from `now` and `uses` receipts, whichever ends first.

    `source_receipt` is the receipt whose `unlock` effect granted it (its full return withdraws the offer if unused).
    """
    if promotion.merchant_id != customer.merchant_id:
        raise ValidationError({"promotion": [_("Unknown promotion: %(code)s.") % {"code": promotion.code}]})
    now = now or timezone.now()
    offer = Offer.objects.create(merchant_id=customer.merchant_id, customer=customer, promotion=promotion, granted_at=now,
                                 ends_at=now + timedelta(days=days) if days else None, uses_left=uses, source_receipt=source_receipt)
    if source_receipt is None:  # unlocks are recorded with their receipt; a grant by staff or the API is audited
        audit_record(merchant=customer.merchant, actor=actor, action="promotion.offer_granted", target=customer.phone,
                     data={"promotion": promotion.code, "days": days, "uses": uses, "customer": str(customer.pk), "offer": offer.pk})
    return offer


@transaction.atomic
def offer_withdraw(*, offer: Offer, actor: User | None = None, now: datetime | None = None) -> Offer:
    """End a personal offer now; withdrawing it twice changes nothing.

    Raises:
        Conflict: offer_not_live — it has already ended or been used up.
    """
    offer = Offer.objects.select_for_update().select_related("customer", "promotion").get(pk=offer.pk)
    if offer.withdrawn_at is not None:
        return offer
    now = now or timezone.now()
    if (offer.ends_at is not None and offer.ends_at <= now) or offer.uses_left == 0:
        raise Conflict("offer_not_live", _("This offer has already ended."))
    offer.withdrawn_at = now
    offer.save(update_fields=["withdrawn_at"])
    audit_record(merchant=offer.customer.merchant, actor=actor, action="promotion.offer_withdrawn", target=offer.customer.phone,
                 data={"promotion": offer.promotion.code, "customer": str(offer.customer_id), "offer": offer.pk})
    return offer


@transaction.atomic
def gift_grant(*, customer: Customer, data, actor: User | None = None) -> Gift:
    """`{"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5", "expires_at": null}`; quantity defaults to 1.

    Raises:
        ValidationError: each bad field named.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    unknown_keys_check(data, GIFT_KEYS, errors=errors)
    for key in ("name", "sku"):
        if key not in data:
            errors[key] = [_("This field is required.")]
    name = _text(data.get("name", ""), field="name", errors=errors, max_length=200, required=True)
    sku = _text(data.get("sku", ""), field="sku", errors=errors, max_length=64, required=True)
    quantity = _decimal(data.get("quantity", "1"), field="quantity", errors=errors, places=3, nullable=False)
    if quantity is not None and quantity == "0.000":
        errors["quantity"] = [_("Must be greater than zero.")]
    expires_at = moment_parse(data.get("expires_at"), field="expires_at", errors=errors)
    if errors:
        raise ValidationError(errors)
    gift = Gift.objects.create(merchant_id=customer.merchant_id, customer=customer, name=name, sku=sku, quantity=Decimal(quantity),
                               expires_at=expires_at)
    audit_record(merchant=customer.merchant, actor=actor, action="promotion.gift_granted", target=customer.phone,
                 data={"gift": gift.pk, "name": name, "sku": sku, "quantity": quantity, "customer": str(customer.pk)})
    return gift


@transaction.atomic
def gift_withdraw(*, gift: Gift, actor: User | None = None, now: datetime | None = None) -> Gift:
    """Take back an open gift; withdrawing it twice changes nothing.

    Raises:
        Conflict: gift_used — the gift was already given at the till.
    """
    gift = Gift.objects.select_for_update().select_related("customer").get(pk=gift.pk)
    if gift.status == Gift.Status.WITHDRAWN:
        return gift
    if gift.status == Gift.Status.USED:
        raise Conflict("gift_used", _("This gift was already given at the till."))
    gift.status = Gift.Status.WITHDRAWN
    gift.withdrawn_at = now or timezone.now()
    gift.save(update_fields=["status", "withdrawn_at"])
    audit_record(merchant=gift.customer.merchant, actor=actor, action="promotion.gift_withdrawn", target=gift.customer.phone,
                 data={"gift": gift.pk, "name": gift.name, "customer": str(gift.customer_id)})
    return gift


def gift_validate(data) -> dict:
    """Check a gift's fields without granting it: `{"name", "sku", "quantity", "expires_at"}` cleaned.

    Raises:
        ValidationError: each bad field named.
    """
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    unknown_keys_check(data, GIFT_KEYS, errors=errors)
    for key in ("name", "sku"):
        if key not in data:
            errors[key] = [_("This field is required.")]
    name = _text(data.get("name", ""), field="name", errors=errors, max_length=200, required=True)
    sku = _text(data.get("sku", ""), field="sku", errors=errors, max_length=64, required=True)
    quantity = _decimal(data.get("quantity", "1"), field="quantity", errors=errors, places=3, nullable=False)
    if quantity is not None and quantity == "0.000":
        errors["quantity"] = [_("Must be greater than zero.")]
    expires_at = moment_parse(data.get("expires_at"), field="expires_at", errors=errors)
    if errors:
        raise ValidationError(errors)
    return {"name": name, "sku": sku, "quantity": Decimal(quantity), "expires_at": expires_at}


def offers_grant_many(*, merchant_id: int, customer_ids, promotion: Promotion, days: int | None, uses: int | None,
                      now: datetime) -> int:
    """Give each of `customer_ids` a personal offer of `promotion` (campaigns): one bulk insert. Call inside a transaction."""
    ends_at = now + timedelta(days=days) if days else None
    rows = [Offer(merchant_id=merchant_id, customer_id=pk, promotion=promotion, granted_at=now, ends_at=ends_at, uses_left=uses)
            for pk in customer_ids]
    Offer.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def gifts_grant_many(*, merchant_id: int, customer_ids, gift: dict) -> int:
    """Give each of `customer_ids` the gift `gift` (as gift_validate cleaned it): one bulk insert. Call inside a transaction."""
    rows = [Gift(merchant_id=merchant_id, customer_id=pk, name=gift["name"], sku=gift["sku"], quantity=gift["quantity"],
                 expires_at=gift["expires_at"]) for pk in customer_ids]
    Gift.objects.bulk_create(rows, batch_size=1000)
    return len(rows)

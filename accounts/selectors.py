"""Reads for merchants, staff, customers and keys; every one is scoped by merchant."""
import uuid

from django.db.models import QuerySet

from accounts.models import ApiKey, Customer, Merchant, Store
from accounts.phones import phone_normalize


def merchant_get(*, slug: str) -> Merchant | None:
    return Merchant.objects.filter(slug=slug).first()


def store_get(*, merchant: Merchant, code: str) -> Store | None:
    return Store.objects.filter(merchant=merchant, code=code).first()


def store_list(*, merchant: Merchant) -> QuerySet[Store]:
    return Store.objects.filter(merchant=merchant).order_by("code")


def customer_get(*, merchant: Merchant, customer_id) -> Customer | None:
    """The merchant's customer with this id; None for another merchant's id or a malformed one."""
    try:
        uid = customer_id if isinstance(customer_id, uuid.UUID) else uuid.UUID(str(customer_id))
    except (ValueError, TypeError, AttributeError):
        return None
    return Customer.objects.filter(merchant=merchant, pk=uid).first()


def customer_lookup(*, merchant: Merchant, q: str) -> Customer | None:
    """Find a customer by phone in any format, card number, or referral code, in that order.

    A card number can look like a foreign phone number, so a phone that matches nobody
    falls through to the card and code lookups.
    """
    text = (q or "").strip()
    if not text:
        return None
    base = Customer.objects.filter(merchant=merchant)
    phone = phone_normalize(raw=text, region=merchant.country)
    if phone is not None:
        found = base.filter(phone=phone).first()
        if found is not None:
            return found
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) == 13:
        found = base.filter(card_number=digits).first()
        if found is not None:
            return found
    if digits and 6 <= len(digits) <= 8:
        return base.filter(referral_code=digits).first()
    return None


def api_key_list(*, merchant: Merchant) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(merchant=merchant).select_related("store", "created_by").order_by("-created_at")


def api_key_active_by_hash(*, key_hash: str) -> ApiKey | None:
    return (
        ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True)
        .select_related("merchant", "store")
        .first()
    )

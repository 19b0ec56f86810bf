"""Reads for merchants, staff, customers and keys; every one is scoped by merchant."""
import uuid

from django.db.models import OuterRef, Q, QuerySet, Subquery

from accounts.models import ApiKey, AuditEvent, Customer, Membership, Merchant, Store
from accounts.phones import phone_normalize
from accounts.search import search_terms


def merchant_get(*, slug: str) -> Merchant | None:
    return Merchant.objects.filter(slug=slug).first()


def store_get(*, merchant: Merchant, code: str) -> Store | None:
    return Store.objects.filter(merchant=merchant, code=code).first()


def store_list(*, merchant: Merchant) -> QuerySet[Store]:
    return Store.objects.filter(merchant=merchant).order_by("code")


def uuid_parse(value) -> uuid.UUID | None:
    """An id from a URL or a request body as a UUID; None when it is not one (the caller answers 404)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def customer_get(*, merchant: Merchant, customer_id) -> Customer | None:
    """The merchant's customer with this id; None for another merchant's id or a malformed one."""
    uid = uuid_parse(customer_id)
    if uid is None:
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


def api_key_active_by_hash(*, key_hash: str, related: tuple[str, ...] = (), main_store: bool = False) -> ApiKey | None:
    """The unrevoked key with this hash, with its merchant and store (and `related`, for callers
    that need more of the merchant in the same query). With `main_store`, the id of the merchant's
    store `main` comes along as `key.main_store_id` (None without one): one statement for a till's
    key, merchant, program and default store."""
    keys = ApiKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True).select_related("merchant", "store", *related)
    if main_store:
        keys = keys.annotate(main_store_id=Subquery(Store.objects.filter(merchant_id=OuterRef("merchant_id"), code="main").values("pk")[:1]))
    return keys.first()


def staff_list(*, merchant: Merchant) -> QuerySet[Membership]:
    return Membership.objects.filter(merchant=merchant).select_related("user").order_by("-is_active", "role", "user__email")


def membership_get(*, merchant: Merchant, membership_id) -> Membership | None:
    try:
        pk = int(membership_id)
    except (TypeError, ValueError):
        return None
    return Membership.objects.filter(merchant=merchant, pk=pk).select_related("user", "merchant").first()


def api_key_get(*, merchant: Merchant, key_id) -> ApiKey | None:
    try:
        pk = int(key_id)
    except (TypeError, ValueError):
        return None
    return ApiKey.objects.filter(merchant=merchant, pk=pk).select_related("merchant").first()


def audit_list(*, merchant: Merchant, action_prefix: str = "", action: str = "", actor_id: int | None = None,
               system: bool = False, since=None, until=None) -> QuerySet[AuditEvent]:
    """The merchant's audit events, newest first: by action, by staff member (or `system`: no one), and
    `since`/`until` (aware datetimes, until exclusive)."""
    qs = AuditEvent.objects.filter(merchant=merchant).select_related("actor")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if action:
        qs = qs.filter(action=action)
    if system:
        qs = qs.filter(actor__isnull=True)
    elif actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if since is not None:
        qs = qs.filter(at__gte=since)
    if until is not None:
        qs = qs.filter(at__lt=until)
    return qs.order_by("-at", "-id")


def audit_customers_for(*, merchant: Merchant, events) -> dict:
    """The customers a page of audit events is about, by id (as text) and by phone, in one query."""
    ids, phones = set(), set()
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        uid = uuid_parse(data.get("customer")) if data.get("customer") else None
        if uid is not None:
            ids.add(uid)
        if event.target.startswith("+"):
            phones.add(event.target)
    if not ids and not phones:
        return {}
    found = {}
    for customer in Customer.objects.filter(merchant=merchant).filter(Q(pk__in=ids) | Q(phone__in=phones)):
        found[str(customer.pk)] = customer
        found[customer.phone] = customer
    return found


def customer_search(
    *,
    merchant: Merchant,
    q: str = "",
    store_code: str = "",
    joined_since=None,
    consent: str = "",
) -> QuerySet[Customer]:
    """Customers for the back-office list, newest first, by search text and filters.

    A phone in any format, a full card number or a referral code finds that one customer
    (exactly, through the unique indexes); digits match the start of a card number or a part of
    the phone; other text matches customers whose name or email holds every word, in any letter
    case and alphabet (Customer.search_text). Ordered by (created_at, id) descending so pages can be read by keyset.
    """
    qs = Customer.objects.filter(merchant=merchant)
    text = (q or "").strip()
    if text:
        exact = customer_lookup(merchant=merchant, q=text)
        if exact is not None:
            qs = qs.filter(pk=exact.pk)
        else:
            digits = "".join(ch for ch in text if ch.isdigit())
            if digits and len(digits) == len(text.replace(" ", "")):
                qs = qs.filter(Q(card_number__startswith=digits) | Q(phone__contains=digits))
            else:
                terms = search_terms(text)
                for term in terms:
                    qs = qs.filter(search_text__contains=term)
                if not terms:
                    qs = qs.none()
    if store_code:
        qs = qs.filter(joined_store__code=store_code)
    if joined_since is not None:
        qs = qs.filter(created_at__gte=joined_since)
    if consent == "email":
        qs = qs.filter(consent_email=True)
    elif consent == "sms":
        qs = qs.filter(consent_sms=True)
    return qs.select_related("joined_store").order_by("-created_at", "-id")

"""Every read of the promotions app. Each selector takes `merchant` first and filters by it first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Customer, Merchant
from loyalty import selectors as loyalty_selectors
from loyalty.models import Receipt, ReceiptLine
from promotions.audience import segments_holding
from promotions.models import Gift, Offer, PromoCode, Promotion, PromotionUse

STATES = ("live", "scheduled", "ended")


def _live_q(now: datetime) -> Q:
    return Q(active=True) & (Q(starts_at__isnull=True) | Q(starts_at__lte=now)) & (Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def promotion_list(*, merchant: Merchant, state: str | None = None, now: datetime) -> QuerySet[Promotion]:
    """The merchant's promotions in run order (priority, then code); `state` narrows to one of STATES as of `now`.

    live: active and inside [starts_at, ends_at); scheduled: active, starting later; ended: made inactive or past ends_at.
    Weekly windows do not change the state: a Friday-evening promotion is live all week, priced only in its windows.
    """
    qs = Promotion.objects.filter(merchant=merchant).select_related("merchant").order_by("-priority", "code")
    if state == "live":
        qs = qs.filter(_live_q(now))
    elif state == "scheduled":
        qs = qs.filter(active=True, starts_at__gt=now).exclude(ends_at__lte=now)
    elif state == "ended":
        qs = qs.filter(Q(active=False) | Q(ends_at__lte=now))
    return qs


def promotion_list_live(*, merchant: Merchant, now: datetime) -> QuerySet[Promotion]:
    return promotion_list(merchant=merchant, state="live", now=now)


def promotion_get(*, merchant: Merchant, code: str) -> Promotion | None:
    if not isinstance(code, str) or not code:
        return None
    return Promotion.objects.select_related("merchant").filter(merchant=merchant, code=code).first()


def code_list(*, merchant: Merchant, promotion: Promotion) -> QuerySet[PromoCode]:
    """The promotion's codes, oldest first, with the bound customer and using receipt in the same query."""
    return (PromoCode.objects.filter(merchant=merchant, promotion=promotion)
            .select_related("customer", "receipt").order_by("created_at", "pk"))


def code_find(*, merchant: Merchant, codes) -> dict[str, PromoCode]:
    """The merchant's codes among `codes`, keyed by their upper-case form (matching ignores case)."""
    from django.db.models.functions import Upper

    wanted = {code.strip().upper() for code in codes if isinstance(code, str) and code.strip()}
    if not wanted:
        return {}
    rows = (PromoCode.objects.filter(merchant=merchant).annotate(upper=Upper("code")).filter(upper__in=wanted)
            .select_related("promotion"))
    return {row.upper: row for row in rows}


def offer_list_for_customer(*, merchant: Merchant, customer: Customer, now: datetime) -> QuerySet[Offer]:
    """The customer's live offers (not withdrawn, not ended, uses left), soonest end first."""
    return (Offer.objects.filter(merchant=merchant, customer=customer, withdrawn_at__isnull=True)
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now)).filter(Q(uses_left__isnull=True) | Q(uses_left__gt=0))
            .select_related("promotion").order_by("ends_at", "pk"))


def offer_get(*, merchant: Merchant, customer: Customer, offer_id) -> Offer | None:
    try:
        offer_id = int(offer_id)
    except (TypeError, ValueError):
        return None
    return Offer.objects.filter(merchant=merchant, customer=customer, pk=offer_id).select_related("promotion", "customer").first()


def gift_list_for_customer(*, merchant: Merchant, customer: Customer, now: datetime) -> QuerySet[Gift]:
    """The customer's open gifts that have not expired, oldest first."""
    return (Gift.objects.filter(merchant=merchant, customer=customer, status=Gift.Status.OPEN)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).order_by("created_at", "pk"))


def gift_get(*, merchant: Merchant, customer: Customer, gift_id) -> Gift | None:
    try:
        gift_id = int(gift_id)
    except (TypeError, ValueError):
        return None
    return Gift.objects.filter(merchant=merchant, customer=customer, pk=gift_id).select_related("customer").first()


@dataclass(frozen=True)
class Stamps:
    promotion: str
    name: str
    n: int
    count: int

    @property
    def remaining(self) -> int:
        return self.n - self.count

    def as_dict(self) -> dict:
        return {"promotion": self.promotion, "name": self.name, "n": self.n, "count": self.count, "remaining": self.remaining}


def customer_in_audience(*, merchant: Merchant, customer: Customer, promotion: Promotion, tier_code: str | None,
                         offer_promotion_ids: set[int], segments: set[str] | None = None) -> bool:
    """Every non-empty restriction of the audience holds for this identified customer.

    `segments`: the codes of the segments holding the customer (promotions.audience.segments_holding);
    None asks the resolver here for this promotion's segments."""
    audience = promotion.audience or {}
    if audience.get("tiers") and tier_code not in audience["tiers"]:
        return False
    if audience.get("segments"):
        if segments is None:
            segments = segments_holding(merchant=merchant, customer=customer, codes=audience["segments"], now=timezone.now())
        if not segments.intersection(audience["segments"]):
            return False
    if audience.get("customers") and str(customer.pk) not in audience["customers"]:
        return False
    if audience.get("offer_only") and promotion.pk not in offer_promotion_ids:
        return False
    return True


def stamp_list_for_customer(*, merchant: Merchant, customer: Customer, now: datetime) -> list[Stamps]:
    """Stamp-card progress for every live `every_nth` promotion whose audience holds the customer.

    `count` is the stamps collected since the last reward, at most n - 1: the next purchase is the rewarded one.
    """
    cards = [promotion for promotion in promotion_list_live(merchant=merchant, now=now) if (promotion.conditions or {}).get("every_nth")]
    if not cards:
        return []
    tier = loyalty_selectors.customer_tier_get(merchant=merchant, customer=customer)
    offers = set(offer_list_for_customer(merchant=merchant, customer=customer, now=now).values_list("promotion_id", flat=True))
    named = {code for card in cards for code in ((card.audience or {}).get("segments") or ())}
    holding = segments_holding(merchant=merchant, customer=customer, codes=named, now=now)
    cards = [promotion for promotion in cards
             if customer_in_audience(merchant=merchant, customer=customer, promotion=promotion, tier_code=tier.code if tier else None,
                                     offer_promotion_ids=offers, segments=holding)]
    counts = stamp_counts(merchant=merchant, customer=customer, now=now,
                          promotions=[{"_pk": card.pk, "code": card.code, "conditions": card.conditions} for card in cards])
    return [Stamps(promotion=card.code, name=card.name, n=card.conditions["every_nth"]["n"],
                   count=min(counts[card.code], card.conditions["every_nth"]["n"] - 1)) for card in cards]


def stamp_counts(*, merchant: Merchant, customer: Customer, promotions: list[dict], now: datetime) -> dict[str, int]:
    """Stamps per stamp-card promotion (API dicts with `_pk`): the customer's receipts not fully returned,
    within the card's last `days` days, after the last receipt it rewarded, meeting its receipt conditions.

    Three queries whatever the number of cards: the last rewards, the receipts in the widest window,
    and (only when a card names SKUs or categories) those receipts' matching lines.
    """
    if not promotions:
        return {}
    pks = [item["_pk"] for item in promotions]
    last_reward = dict(PromotionUse.objects.filter(merchant=merchant, customer=customer, promotion_id__in=pks, returned_at__isnull=True)
                       .values("promotion_id").annotate(last=Max("receipt__purchased_at")).values_list("promotion_id", "last"))
    windows = [item["conditions"]["every_nth"].get("days") for item in promotions]
    since = None if any(days is None for days in windows) else now - timedelta(days=max(windows))
    receipts = Receipt.objects.filter(merchant=merchant, customer=customer, fully_refunded=False, purchased_at__lt=now)
    if since is not None:
        receipts = receipts.filter(purchased_at__gt=since)
    rows = list(receipts.values("pk", "purchased_at", "subtotal"))
    needs_lines = any(item["conditions"].get("skus") or item["conditions"].get("categories") for item in promotions)
    lines: dict = {}
    if needs_lines and rows:
        for receipt_id, sku, category in ReceiptLine.objects.filter(receipt_id__in=[row["pk"] for row in rows]).values_list(
                "receipt_id", "sku", "category"):
            lines.setdefault(receipt_id, []).append((sku, category))
    out = {}
    for item in promotions:
        conditions = item["conditions"]
        days = conditions["every_nth"].get("days")
        start = now - timedelta(days=days) if days else None
        last = last_reward.get(item["_pk"])
        minimum = Decimal(conditions["min_subtotal"]) if conditions.get("min_subtotal") is not None else None
        skus, categories = set(conditions.get("skus") or ()), set(conditions.get("categories") or ())
        count = 0
        for row in rows:
            if start is not None and row["purchased_at"] <= start:
                continue
            if last is not None and row["purchased_at"] <= last:
                continue
            if minimum is not None and row["subtotal"] < minimum:
                continue
            if (skus or categories) and not any(sku in skus or (category and category in categories) for sku, category in lines.get(row["pk"], ())):
                continue
            count += 1
        out[item["code"]] = count
    return out


def code_list_for_customer(*, merchant: Merchant, customer: Customer, now: datetime) -> QuerySet[PromoCode]:
    """The personal codes bound to the customer that can still be used: unused, not expired, of an active
    promotion that has not ended; soonest expiry first."""
    return (PromoCode.objects.filter(merchant=merchant, customer=customer, used_at__isnull=True, used_count=0,
                                     promotion__merchant=merchant, promotion__active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .filter(Q(promotion__ends_at__isnull=True) | Q(promotion__ends_at__gt=now))
            .select_related("promotion").order_by("expires_at", "pk"))


def personal_codes_used_count(*, merchant: Merchant, codes) -> int:
    """How many of these personal codes were used at the till (campaign reports)."""
    return PromoCode.objects.filter(merchant_id=merchant.pk, code__in=list(codes), used_at__isnull=False).count()


def offers_used_count(*, merchant: Merchant, promotion_code: str, customer_ids, since) -> int:
    """Personal offers of a promotion granted since `since` to these customers and used at least once (campaign reports)."""
    return Offer.objects.filter(merchant_id=merchant.pk, promotion__code=promotion_code, customer_id__in=customer_ids,
                                granted_at__gte=since, used__gt=0).count()

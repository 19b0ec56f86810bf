"""Reads of the loyalty core. Every selector takes the merchant and filters by it first."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet, Sum

from accounts.models import Customer, Merchant
from loyalty.models import Entry, IdempotencyRecord, Lot, PointsAccount, Program, Receipt, ReceiptLine


@dataclass(frozen=True)
class Balance:
    available: int
    pending: int
    debt: int

    def as_dict(self) -> dict:
        return {"available": self.available, "pending": self.pending}


def program_get(*, merchant: Merchant) -> Program:
    return Program.objects.get(merchant=merchant)


def balance_get(*, merchant: Merchant, customer: Customer) -> Balance:
    """The recorded balance: active and pending lots as the jobs last left them, less refund debt."""
    sums = Lot.objects.filter(merchant=merchant, customer=customer, remaining__gt=0).aggregate(
        active=Sum("remaining", filter=Q(is_pending=False)),
        pending=Sum("remaining", filter=Q(is_pending=True)),
    )
    debt = PointsAccount.objects.filter(merchant=merchant, customer=customer).values_list("debt", flat=True).first() or 0
    return Balance(available=(sums["active"] or 0) - debt, pending=sums["pending"] or 0, debt=debt)


def expiring_get(*, merchant: Merchant, customer: Customer) -> list[dict]:
    """Every point that will expire, soonest first, summed per date in the merchant's timezone."""
    zone = ZoneInfo(merchant.timezone)
    per_day: OrderedDict[date, int] = OrderedDict()
    lots = (
        Lot.objects.filter(merchant=merchant, customer=customer, remaining__gt=0, expires_at__isnull=False)
        .order_by("expires_at")
        .values_list("expires_at", "remaining")
    )
    for expires_at, remaining in lots:
        day = expires_at.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + remaining
    return [{"points": points, "on": day.isoformat()} for day, points in per_day.items()]


def entry_list(*, merchant: Merchant, customer: Customer) -> QuerySet[Entry]:
    return Entry.objects.filter(merchant=merchant, customer=customer).select_related("receipt", "lot").order_by("-at", "-id")


def receipt_get(*, merchant: Merchant, receipt_id) -> Receipt | None:
    import uuid

    try:
        uid = receipt_id if isinstance(receipt_id, uuid.UUID) else uuid.UUID(str(receipt_id))
    except (ValueError, TypeError, AttributeError):
        return None
    return (
        Receipt.objects.filter(merchant=merchant, pk=uid)
        .select_related("store", "customer", "merchant")
        .prefetch_related(Prefetch("lines", queryset=ReceiptLine.objects.order_by("position")))
        .first()
    )


def receipt_find_by_number(*, merchant: Merchant, number: str) -> QuerySet[Receipt]:
    return Receipt.objects.filter(merchant=merchant, number=number.strip()).select_related("store", "customer").order_by("-purchased_at")


def receipt_list(*, merchant: Merchant, customer: Customer | None = None) -> QuerySet[Receipt]:
    qs = Receipt.objects.filter(merchant=merchant).select_related("store", "customer")
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs.order_by("-purchased_at", "-created_at")


def idempotency_record_get(*, merchant: Merchant, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(merchant=merchant, key=key).first()

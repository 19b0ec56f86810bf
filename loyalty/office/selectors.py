"""Reads for the back-office lists: balances for a page of customers, receipt search, recent receipts.

Scoped by merchant like every selector; kept apart from loyalty.selectors, which the checkout,
counter and portal share.
"""
from django.db.models import Prefetch, Q, QuerySet, Sum

from accounts.models import Customer, Merchant
from loyalty.models import Lot, PointsAccount, Receipt, ReceiptLine
from loyalty.selectors import Balance


def balances_for(*, merchant: Merchant, customer_ids: list) -> dict:
    """Available and pending points for a page of customers, in one grouped query (for lists)."""
    rows = (
        Lot.objects.filter(merchant=merchant, customer_id__in=customer_ids, remaining__gt=0)
        .values("customer_id")
        .annotate(active=Sum("remaining", filter=Q(is_pending=False)), pending=Sum("remaining", filter=Q(is_pending=True)))
    )
    debts = dict(
        PointsAccount.objects.filter(merchant=merchant, customer_id__in=customer_ids, debt__gt=0).values_list("customer_id", "debt")
    )
    found = {row["customer_id"]: row for row in rows}
    result = {}
    for cid in customer_ids:
        row = found.get(cid, {})
        debt = debts.get(cid, 0)
        result[cid] = Balance(available=(row.get("active") or 0) - debt, pending=row.get("pending") or 0, debt=debt)
    return result


def receipt_search(*, merchant: Merchant, number: str = "", store_code: str = "", since=None, until=None) -> QuerySet[Receipt]:
    """Receipts for the back-office list, newest first; `since`/`until` are aware datetimes (until exclusive)."""
    qs = Receipt.objects.filter(merchant=merchant)
    if number:
        qs = qs.filter(number__iexact=number.strip())
    if store_code:
        qs = qs.filter(store__code=store_code)
    if since is not None:
        qs = qs.filter(purchased_at__gte=since)
    if until is not None:
        qs = qs.filter(purchased_at__lt=until)
    return qs.select_related("store", "customer").order_by("-purchased_at", "-id")


def receipt_list_with_lines(*, merchant: Merchant, customer: Customer, limit: int = 10) -> list[Receipt]:
    """A customer's latest receipts with their lines, in two queries."""
    return list(
        Receipt.objects.filter(merchant=merchant, customer=customer)
        .select_related("store")
        .prefetch_related(Prefetch("lines", queryset=ReceiptLine.objects.order_by("position")))
        .order_by("-purchased_at", "-created_at")[:limit]
    )

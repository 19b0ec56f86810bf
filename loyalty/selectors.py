"""Reads of the loyalty core. Every selector takes the merchant and filters by it first."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, Max, OuterRef, Prefetch, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from accounts.models import Customer, Merchant, Store
from accounts.selectors import uuid_parse
from loyalty.extensions import account_holder_get
from loyalty.models import Entry, IdempotencyRecord, Lot, PointsAccount, Program, Receipt, ReceiptLine, Tier


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
    """The recorded balance: active and pending lots as the jobs last left them, less refund debt.
    A customer who shares another's account (a family member) reads that account's balance."""
    customer = account_holder_get(customer).customer
    sums = Lot.objects.filter(merchant=merchant, customer=customer, remaining__gt=0).aggregate(
        active=Sum("remaining", filter=Q(is_pending=False)),
        pending=Sum("remaining", filter=Q(is_pending=True)),
    )
    debt = PointsAccount.objects.filter(merchant=merchant, customer=customer).values_list("debt", flat=True).first() or 0
    return Balance(available=(sums["active"] or 0) - debt, pending=sums["pending"] or 0, debt=debt)


def _expiring_from(rows, zone: ZoneInfo) -> list[dict]:
    per_day: OrderedDict[date, int] = OrderedDict()
    for expires_at, remaining in sorted(rows, key=lambda row: row[0]):
        day = expires_at.astimezone(zone).date()
        per_day[day] = per_day.get(day, 0) + remaining
    return [{"points": points, "on": day.isoformat()} for day, points in per_day.items()]


def expiring_get(*, merchant: Merchant, customer: Customer) -> list[dict]:
    """Every point that will expire, soonest first, summed per date in the merchant's timezone."""
    customer = account_holder_get(customer).customer
    rows = Lot.objects.filter(merchant=merchant, customer=customer, remaining__gt=0, expires_at__isnull=False).values_list(
        "expires_at", "remaining"
    )
    return _expiring_from(rows, ZoneInfo(merchant.timezone))


@dataclass(frozen=True)
class CustomerSummary:
    balance: Balance
    expiring: list
    tier: "Tier | None"
    tier_progress: dict


def customer_summary_get(*, merchant: Merchant, customer: Customer, now) -> CustomerSummary:
    """Balance, expiry dates, tier and progress for one customer, in as few queries as it takes:
    the account (with its tiers), the lots with points left, the tier list, and the receipts
    aggregate only when the next tier needs it. The read shape of every API customer."""
    # `higher_tiers`: is there a tier above the earned one at all? When not, progress needs no read.
    higher = Tier.objects.filter(merchant_id=OuterRef("merchant_id"), rank__gt=Coalesce(OuterRef("tier__rank"), Value(-1)))
    account = (PointsAccount.objects.filter(merchant=merchant, customer=customer).select_related("tier", "override_tier")
               .annotate(higher_tiers=Exists(higher)).first())
    tier = account.effective_tier if account is not None else None
    # The points are the account holder's (a family member reads the family balance); the tier is their own.
    holder = account_holder_get(customer).customer
    if holder.pk == customer.pk:
        debt = account.debt if account is not None else 0
    else:
        debt = PointsAccount.objects.filter(merchant=merchant, customer=holder).values_list("debt", flat=True).first() or 0
    active = pending = 0
    expiring_rows = []
    for remaining, is_pending, expires_at in Lot.objects.filter(merchant=merchant, customer=holder, remaining__gt=0).values_list(
        "remaining", "is_pending", "expires_at"
    ):
        if is_pending:
            pending += remaining
        else:
            active += remaining
        if expires_at is not None:
            expiring_rows.append((expires_at, remaining))
    return CustomerSummary(
        balance=Balance(available=active - debt, pending=pending, debt=debt),
        expiring=_expiring_from(expiring_rows, ZoneInfo(merchant.timezone)),
        tier=tier,
        tier_progress=tier_progress_get(merchant=merchant, customer=customer, tier=tier, now=now,
                                        earned=account.tier if account is not None else None,
                                        higher_tiers=account.higher_tiers if account is not None else True),
    )


def entry_list(*, merchant: Merchant, customer: Customer) -> QuerySet[Entry]:
    """The customer's history; one who shares another's account (a family member) also sees that
    account's entries, each of which names whose receipt it was."""
    holder = account_holder_get(customer).customer
    owners = Q(customer=customer) if holder.pk == customer.pk else Q(customer__in=[customer.pk, holder.pk])
    return Entry.objects.filter(owners, merchant=merchant).select_related("receipt", "lot").order_by("-at", "-id")


def receipt_get(*, merchant: Merchant, receipt_id, store: Store | None = None) -> Receipt | None:
    """The merchant's receipt; with `store` (a store-bound API key), only that store's."""
    uid = uuid_parse(receipt_id)
    if uid is None:
        return None
    qs = Receipt.objects.filter(merchant=merchant, pk=uid)
    if store is not None:
        qs = qs.filter(store=store)
    return (
        qs
        .select_related("store", "customer", "merchant")
        .prefetch_related(Prefetch("lines", queryset=ReceiptLine.objects.order_by("position")))
        .first()
    )


def receipt_find_by_number(*, merchant: Merchant, number: str) -> QuerySet[Receipt]:
    """Receipts with this number in any store, ignoring case and surrounding spaces (index receipt_merchant_number_ci)."""
    return (
        Receipt.objects.filter(merchant=merchant, number__iexact=number.strip())
        .select_related("store", "customer")
        .order_by("-purchased_at")
    )


def receipt_list(*, merchant: Merchant, customer: Customer | None = None) -> QuerySet[Receipt]:
    qs = Receipt.objects.filter(merchant=merchant).select_related("store", "customer")
    if customer is not None:
        qs = qs.filter(customer=customer)
    return qs.order_by("-purchased_at", "-created_at")


def idempotency_record_get(*, merchant: Merchant, key: str) -> IdempotencyRecord | None:
    return IdempotencyRecord.objects.filter(merchant=merchant, key=key).first()


def tier_list(*, merchant: Merchant) -> QuerySet[Tier]:
    return Tier.objects.filter(merchant=merchant).order_by("rank")


def customer_tier_get(*, merchant: Merchant, customer: Customer) -> Tier | None:
    """The tier the customer is in now: a staff override while it lasts, else the recorded tier."""
    account = PointsAccount.objects.filter(merchant=merchant, customer=customer).select_related("tier", "override_tier").first()
    return account.effective_tier if account is not None else None


def customer_metrics(*, merchant: Merchant, customer: Customer, since, now, only=None) -> dict:
    """What the tier conditions count for one customer (net of returns), from `since` (None = all time).

    `only` names the conditions wanted, so a progress read skips the queries it does not need.
    """
    wanted = set(only) if only is not None else {"total_spend", "purchases", "single_receipt", "referrals"}
    metrics = {"total_spend": Decimal("0.00"), "purchases": 0, "single_receipt": Decimal("0.00"), "referrals": 0}
    if wanted & {"total_spend", "purchases", "single_receipt"}:
        receipts = Receipt.objects.filter(merchant=merchant, customer=customer, fully_refunded=False, purchased_at__lte=now)
        if since is not None:
            receipts = receipts.filter(purchased_at__gte=since)
        net = ExpressionWrapper(F("subtotal") - F("discount") - F("refunded_cost"), output_field=DecimalField(max_digits=14, decimal_places=2))
        sums = receipts.aggregate(total_spend=Sum(net), purchases=Count("id"), single_receipt=Max(net))
        metrics.update({key: value for key, value in sums.items() if value is not None})
    if "referrals" in wanted:
        referred = Customer.objects.filter(merchant=merchant, referred_by=customer, created_at__lte=now)
        if since is not None:
            referred = referred.filter(created_at__gte=since)
        metrics["referrals"] = referred.count()
    return metrics


def tier_progress_get(*, merchant: Merchant, customer: Customer, tier: Tier | None, now, earned: Tier | None = None,
                      higher_tiers: bool = True) -> dict:
    """The next tier and what is still missing for each of its entry conditions (docs/api.md).

    `tier` is the tier in effect and `earned` the recorded one; with a staff override they differ,
    and the next tier is the first above both: a customer is never told how far they are from a
    tier they have already earned. `nearest` names the condition closest to being met, which is
    what a progress bar shows. `higher_tiers=False` (the caller knows no tier ranks above `earned`)
    answers without a read.
    """
    from loyalty.services.tiers import MONEY_CONDITIONS, window_start

    if not higher_tiers:
        return {"next": None, "remaining": {}, "nearest": None, "progress": 1.0}
    rank = max(tier.rank if tier is not None else -1, earned.rank if earned is not None else -1)
    following = Tier.objects.filter(merchant=merchant, rank__gt=rank).order_by("rank").first()
    if following is None:
        return {"next": None, "remaining": {}, "nearest": None, "progress": 1.0}
    since = window_start(merchant=merchant, window_days=following.window_days, now=now)
    metrics = customer_metrics(merchant=merchant, customer=customer, since=since, now=now, only=following.entry.keys())
    remaining, progress = {}, {}
    for key, raw in following.entry.items():
        threshold = Decimal(raw) if key in MONEY_CONDITIONS else int(raw)
        have = metrics[key]
        missing = max(threshold - have, 0)
        remaining[key] = f"{Decimal(missing):.2f}" if key in MONEY_CONDITIONS else int(missing)
        progress[key] = float(min(Decimal(have) / Decimal(threshold), 1)) if threshold else 1.0
    nearest = max(progress, key=progress.get) if progress else None
    return {
        "next": {"code": following.code, "name": following.name},
        "remaining": remaining,
        "nearest": nearest,
        "progress": round(progress[nearest], 4) if nearest else 1.0,
    }


def tier_distribution(*, merchant: Merchant) -> list[dict]:
    """Customers per effective tier (an override wins), by rank; one grouped query for the counts.

    Accounts without a tier (none recorded yet) come last as a row with `tier` None, when there are any.
    """
    from django.db.models.functions import Coalesce

    counts = dict(
        PointsAccount.objects.filter(merchant=merchant)
        .annotate(effective=Coalesce("override_tier_id", "tier_id"))
        .values("effective")
        .annotate(n=Count("pk"))
        .values_list("effective", "n")
    )
    rows = [{"tier": tier, "count": counts.pop(tier.pk, 0)} for tier in tier_list(merchant=merchant)]
    leftover = sum(counts.values())
    if leftover:
        rows.append({"tier": None, "count": leftover})
    return rows


def tier_member_count(*, merchant: Merchant, tier: Tier) -> int:
    """How many customers are in `tier` now: overridden into it, or recorded in it without an override."""
    return PointsAccount.objects.filter(merchant=merchant).filter(
        Q(override_tier=tier) | Q(tier=tier, override_tier__isnull=True)
    ).count()


def tier_history(*, merchant: Merchant, customer: Customer, limit: int = 50) -> list:
    from loyalty.models import TierChange

    return list(
        TierChange.objects.filter(merchant=merchant, customer=customer).select_related("staff").order_by("-at", "-id")[:limit]
    )


def customer_account_get(*, merchant: Merchant, customer: Customer) -> PointsAccount | None:
    return PointsAccount.objects.filter(merchant=merchant, customer=customer).select_related("tier", "override_tier").first()


def customer_messages_unread(*, merchant: Merchant, customer: Customer, limit: int = 10) -> list:
    from loyalty.models import CustomerMessage

    return list(CustomerMessage.objects.filter(merchant=merchant, customer=customer, read_at__isnull=True).order_by("-at", "-id")[:limit])


def customer_tier_panel(*, merchant: Merchant, customer: Customer, now) -> dict:
    """What a screen shows about a customer's tier: the account (override and its end), the effective
    tier, the progress to the next one (with the next tier's threshold and window), and the program."""
    account = customer_account_get(merchant=merchant, customer=customer)
    tier = account.effective_tier if account is not None else None
    progress = tier_progress_get(merchant=merchant, customer=customer, tier=tier, now=now,
                                 earned=account.tier if account is not None else None)
    if progress["next"]:
        following = Tier.objects.filter(merchant=merchant, code=progress["next"]["code"]).first()
        if following is not None:
            progress["window_days"] = following.window_days
            if progress["nearest"]:
                progress["threshold"] = following.entry.get(progress["nearest"])
    return {"tier_account": account, "tier": tier, "tier_progress": progress, "program": program_get(merchant=merchant)}


def program_page_get(*, merchant: Merchant, kind: str):
    """The merchant's page of this kind (rules, privacy), or None while they have not written one."""
    from loyalty.models import ProgramPage

    return ProgramPage.objects.filter(merchant=merchant, kind=kind).select_related("updated_by").first()


# --- webhooks and imports ---------------------------------------------------------------------------

def webhook_endpoint_list(*, merchant):
    from loyalty.models import WebhookEndpoint

    return WebhookEndpoint.objects.filter(merchant=merchant).order_by("-created_at", "-id")


def webhook_endpoint_get(*, merchant, endpoint_id):
    from loyalty.models import WebhookEndpoint

    try:
        endpoint_id = int(endpoint_id)
    except (TypeError, ValueError):
        return None
    if not 0 < endpoint_id < 2**63:
        return None
    return WebhookEndpoint.objects.filter(merchant=merchant, pk=endpoint_id).first()


def webhook_delivery_list(*, merchant, endpoint=None, limit: int = 50):
    """The latest deliveries with their event, endpoint and attempts (the delivery log)."""
    from loyalty.models import WebhookDelivery

    deliveries = WebhookDelivery.objects.filter(merchant=merchant)
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    return list(deliveries.select_related("event", "endpoint").prefetch_related("attempt_log").order_by("-created_at", "-pk")[:limit])


def customer_import_list(*, merchant, limit: int = 20):
    from loyalty.models import CustomerImport

    return list(CustomerImport.objects.filter(merchant=merchant).defer("data", "errors").order_by("-created_at")[:limit])


def customer_import_can_run(*, merchant, job) -> bool:
    """A finished dry run whose file is still kept: the owner may run it for real."""
    from django.db.models.functions import Length

    from loyalty.models import CustomerImport

    if not job.dry_run or job.status != CustomerImport.Status.DONE:
        return False
    return CustomerImport.objects.filter(merchant=merchant, pk=job.pk).annotate(size=Length("data")).filter(size__gt=0).exists()
def customer_messages_recent(*, merchant: Merchant, customer: Customer, limit: int = 5) -> tuple[list, int]:
    """The customer's latest portal messages, read or not, and how many are unread (the portal inbox)."""
    from loyalty.models import CustomerMessage

    mine = CustomerMessage.objects.filter(merchant=merchant, customer=customer)
    return list(mine.order_by("-at", "-id")[:limit]), mine.filter(read_at__isnull=True).count()

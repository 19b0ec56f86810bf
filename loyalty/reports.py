"""Back-office figures: the dashboard and the program's economics.

Every figure is an aggregate query scoped by merchant (a few queries per page, whatever the
number of customers); days and months are the merchant's, in its timezone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Customer, Merchant
from loyalty.models import Entry, EntryKind, Lot, PointsAccount, Program, Receipt

ZERO = Decimal("0")
HUNDRED = Decimal("100")
# Before a merchant has its own history, the economics line assumes half of issued points get spent
# (in practice only 50-80 % of issued points are ever spent).
ASSUMED_REDEMPTION_PERCENT = Decimal("50")
CHART_DAYS = 30


@dataclass
class Period:
    receipts: int = 0
    revenue: Decimal = ZERO


@dataclass
class Dashboard:
    members: int
    members_new_30d: int
    today: Period
    last_30d: Period
    accrued_month: int
    redeemed_month: int
    expired_month: int
    liability_points: int
    liability_money: Decimal
    pending_points: int
    expiring_30d: int
    month_start: date
    chart: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Economics:
    accrual_percent: Decimal
    redemption_percent: Decimal
    cost_percent: Decimal
    measured: bool
    issued_points: int
    redeemed_points: int


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def _receipts_period(merchant: Merchant, since: datetime) -> Period:
    row = Receipt.objects.filter(merchant=merchant, purchased_at__gte=since).aggregate(
        receipts=Count("pk"), revenue=Sum(F("total") - F("refunded_amount"))
    )
    return Period(receipts=row["receipts"] or 0, revenue=row["revenue"] or ZERO)


def dashboard_get(*, merchant: Merchant, now: datetime | None = None) -> Dashboard:
    """The back-office front page: members, sales, points flow this month, liability, expiry, and a 30-day chart."""
    now = now or timezone.now()
    zone = ZoneInfo(merchant.timezone)
    today = now.astimezone(zone).date()
    today_start = _local_midnight(today, zone)
    start_30d = _local_midnight(today - timedelta(days=CHART_DAYS - 1), zone)
    month_start_day = today.replace(day=1)
    month_start = _local_midnight(month_start_day, zone)

    members = Customer.objects.filter(merchant=merchant).aggregate(
        total=Count("pk"), new=Count("pk", filter=Q(created_at__gte=start_30d))
    )
    flow = Entry.objects.filter(merchant=merchant, at__gte=month_start).aggregate(
        accrued=Sum("points", filter=Q(points__gt=0) & ~Q(kind=EntryKind.REFUND)),
        redeemed=Sum("points", filter=Q(kind=EntryKind.REDEMPTION)),
        expired=Sum("points", filter=Q(kind=EntryKind.EXPIRY)),
    )
    lots = Lot.objects.filter(merchant=merchant, remaining__gt=0).aggregate(
        active=Sum("remaining", filter=Q(is_pending=False)),
        pending=Sum("remaining", filter=Q(is_pending=True)),
        expiring=Sum("remaining", filter=Q(expires_at__gt=now, expires_at__lte=now + timedelta(days=30))),
    )
    debt = PointsAccount.objects.filter(merchant=merchant, debt__gt=0).aggregate(debt=Sum("debt"))["debt"] or 0
    pending = lots["pending"] or 0
    liability = (lots["active"] or 0) - debt + pending
    point_value = Program.objects.filter(merchant=merchant).values_list("point_value", flat=True).first() or Decimal("1")
    return Dashboard(
        members=members["total"] or 0,
        members_new_30d=members["new"] or 0,
        today=_receipts_period(merchant, today_start),
        last_30d=_receipts_period(merchant, start_30d),
        accrued_month=flow["accrued"] or 0,
        redeemed_month=-(flow["redeemed"] or 0),
        expired_month=-(flow["expired"] or 0),
        liability_points=liability,
        liability_money=(Decimal(liability) * point_value),
        pending_points=pending,
        expiring_30d=lots["expiring"] or 0,
        month_start=month_start_day,
        chart=daily_series(merchant=merchant, since=start_30d, first_day=today - timedelta(days=CHART_DAYS - 1), days=CHART_DAYS),
    )


def daily_series(*, merchant: Merchant, since: datetime, first_day: date, days: int) -> dict:
    """Receipts, revenue and points accrued and redeemed per local day, zero-filled; two GROUP BY queries."""
    zone = ZoneInfo(merchant.timezone)
    receipts = (
        Receipt.objects.filter(merchant=merchant, purchased_at__gte=since)
        .annotate(day=TruncDate("purchased_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("pk"), revenue=Sum(F("total") - F("refunded_amount")))
    )
    points = (
        Entry.objects.filter(merchant=merchant, at__gte=since)
        .annotate(day=TruncDate("at", tzinfo=zone))
        .values("day")
        .annotate(
            accrued=Sum("points", filter=Q(points__gt=0) & ~Q(kind=EntryKind.REFUND)),
            redeemed=Sum("points", filter=Q(kind=EntryKind.REDEMPTION)),
        )
    )
    by_day_receipts = {row["day"]: row for row in receipts}
    by_day_points = {row["day"]: row for row in points}
    series = {"days": [], "receipts": [], "revenue": [], "accrued": [], "redeemed": []}
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        r = by_day_receipts.get(day, {})
        p = by_day_points.get(day, {})
        series["days"].append(day.isoformat())
        series["receipts"].append(r.get("count") or 0)
        series["revenue"].append(str(r.get("revenue") or ZERO))
        series["accrued"].append(p.get("accrued") or 0)
        series["redeemed"].append(-(p.get("redeemed") or 0))
    return series


def economics_get(*, merchant: Merchant, accrual_percent: Decimal | None = None) -> Economics:
    """What accrual costs as a share of revenue: accrual % × the share of issued points that gets spent.

    The redemption rate is the merchant's own (points redeemed ÷ points issued, all time) once
    customers have spent any; before that it is ASSUMED_REDEMPTION_PERCENT, and `measured` says so.
    The rate is rounded to a whole percent first, so the product is arithmetic a person can check.
    Point value cancels out: points are issued and spent at the same value.
    """
    if accrual_percent is None:
        accrual_percent = Program.objects.filter(merchant=merchant).values_list("accrual_percent", flat=True).first() or ZERO
    row = Entry.objects.filter(merchant=merchant).aggregate(
        issued=Sum("points", filter=Q(points__gt=0) & ~Q(kind=EntryKind.REFUND)),
        redeemed=Sum("points", filter=Q(kind=EntryKind.REDEMPTION)),
    )
    issued = row["issued"] or 0
    redeemed = -(row["redeemed"] or 0)
    measured = issued > 0 and redeemed > 0
    if measured:
        rate = min(HUNDRED, (Decimal(redeemed) * HUNDRED / Decimal(issued)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    else:
        rate = ASSUMED_REDEMPTION_PERCENT
    cost = (Decimal(accrual_percent) * rate / HUNDRED).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return Economics(
        accrual_percent=Decimal(accrual_percent),
        redemption_percent=rate,
        cost_percent=cost,
        measured=measured,
        issued_points=issued,
        redeemed_points=redeemed,
    )

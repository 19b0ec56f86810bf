"""The rollup job: writes each closed day of each merchant into analytics' own tables.

One transaction per merchant and day deletes the day's rows and inserts them again from a live
computation (analytics.selectors.figures_by_store_live: a few aggregate queries, whatever the number of
receipts), so a re-run of a day writes the same rows. Each run rolls up every closed day not yet written
(from the merchant's first receipt, entry or member), the last ROLLUP_REDO_DAYS days again (expiry
entries are dated when their lots expired, which the hourly expiry job may record a little later), and
any older day whose receipts were committed, returned or whose points expired since the last run.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import Customer, Merchant
from analytics.models import PointsDay, RollupDay, SalesDay
from analytics.periods import local_midnight
from analytics.selectors import day_number, figures_by_store_live
from loyalty.models import Entry, Lot, Receipt, Refund

ROLLUP_REDO_DAYS = getattr(settings, "ANALYTICS_ROLLUP_REDO_DAYS", 2)


@transaction.atomic
def rollup_day(*, merchant: Merchant, day: date, now: datetime | None = None) -> int:
    """Write (or rewrite) one day of one merchant; returns the rows written."""
    zone = ZoneInfo(merchant.timezone)
    start, end = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    by_store = figures_by_store_live(merchant=merchant, start=start, end=end)
    SalesDay.objects.filter(merchant=merchant, day=day).delete()
    PointsDay.objects.filter(merchant=merchant, day=day).delete()
    sales, points = [], []
    for store_id, figures in by_store.items():
        if figures.receipts or figures.new_members or any(figures.discounts.values()):
            sales.append(SalesDay(
                merchant=merchant, store_id=store_id, day=day, receipts=figures.receipts, member_receipts=figures.member_receipts,
                revenue=figures.revenue, member_revenue=figures.member_revenue, discount_tier=figures.discounts["tier"],
                discount_promotions=figures.discounts["promotions"], discount_agents=figures.discounts["agents"],
                discount_gifts=figures.discounts["gifts"], new_members=figures.new_members,
            ))
        for kind in set(figures.credited) | set(figures.debited):
            points.append(PointsDay(merchant=merchant, store_id=store_id, day=day, kind=kind,
                                    credited=figures.credited.get(kind, 0), debited=figures.debited.get(kind, 0)))
    SalesDay.objects.bulk_create(sales)
    PointsDay.objects.bulk_create(points)
    if connection.vendor == "postgresql":
        _customer_days_write(merchant=merchant, day=day, start=start, end=end)
    RollupDay.objects.update_or_create(merchant=merchant, day=day, defaults={"computed_at": now or timezone.now()})
    return len(sales) + len(points)


def _customer_days_write(*, merchant: Merchant, day: date, start: datetime, end: datetime) -> None:
    """Put the day into each member's day list, once per receipt: one INSERT … SELECT … ON CONFLICT.

    The members with receipts on a day only grow (receipts are never deleted nor moved), so taking
    the day out of their lists and putting it back as many times as they have receipts makes a re-run
    write the same lists."""
    number = day_number(day)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO analytics_customerdays (merchant_id, customer_id, store_id, days)
            SELECT %s, r.customer_id, r.store_id, array_fill(%s::integer, ARRAY[count(*)::integer])
            FROM loyalty_receipt r
            WHERE r.merchant_id = %s AND r.customer_id IS NOT NULL AND r.purchased_at >= %s AND r.purchased_at < %s
            GROUP BY r.customer_id, r.store_id
            ON CONFLICT (merchant_id, customer_id, store_id) DO UPDATE SET days = (
                SELECT array_agg(x ORDER BY x) FROM unnest(array_remove(analytics_customerdays.days, %s) || EXCLUDED.days) AS x)
            """,
            [merchant.pk, number, merchant.pk, start, end, number],
        )


def _first_activity(merchant: Merchant, zone: ZoneInfo) -> date | None:
    moments = [
        Receipt.objects.filter(merchant=merchant).aggregate(first=Min("purchased_at"))["first"],
        Entry.objects.filter(merchant=merchant).aggregate(first=Min("at"))["first"],
        Customer.objects.filter(merchant=merchant).aggregate(first=Min("created_at"))["first"],
    ]
    moments = [moment for moment in moments if moment is not None]
    return min(moments).astimezone(zone).date() if moments else None


def _touched_days(merchant: Merchant, zone: ZoneInfo, since: datetime) -> set[date]:
    """Local days whose figures changed after `since`: receipts committed or returned, lots expired."""
    days = set(Receipt.objects.filter(merchant=merchant, created_at__gte=since).annotate(day=TruncDate("purchased_at", tzinfo=zone))
               .values_list("day", flat=True).distinct())
    days |= set(Refund.objects.filter(merchant=merchant, at__gte=since).annotate(day=TruncDate("receipt__purchased_at", tzinfo=zone))
                .values_list("day", flat=True).distinct())
    days |= set(Lot.objects.filter(merchant=merchant, expired_at__gte=since).annotate(day=TruncDate("expires_at", tzinfo=zone))
                .values_list("day", flat=True).distinct())
    return days


def days_to_roll(*, merchant: Merchant, now: datetime) -> list[date]:
    """The closed days of `merchant` that the next run writes, oldest first."""
    zone = ZoneInfo(merchant.timezone)
    last = now.astimezone(zone).date() - timedelta(days=1)
    first = _first_activity(merchant, zone)
    if first is None or first > last:
        return []
    rolled = RollupDay.objects.filter(merchant=merchant)
    done = set(rolled.filter(day__gte=first, day__lte=last).values_list("day", flat=True))
    wanted = set()
    day = first
    while day <= last:
        if day not in done:
            wanted.add(day)
        day += timedelta(days=1)
    wanted |= {last - timedelta(days=offset) for offset in range(ROLLUP_REDO_DAYS) if last - timedelta(days=offset) >= first}
    since = rolled.aggregate(last=Max("computed_at"))["last"]
    if since is not None:
        wanted |= {day for day in _touched_days(merchant, zone, since) if day is not None and first <= day <= last}
    return sorted(wanted)


def rollups_run(*, now: datetime | None = None, merchant: Merchant | None = None) -> int:
    """Roll up every merchant's (or one merchant's) closed days due as of `now`; returns the days written."""
    now = now or timezone.now()
    merchants = [merchant] if merchant is not None else list(Merchant.objects.order_by("pk"))
    written = 0
    for item in merchants:
        for day in days_to_roll(merchant=item, now=now):
            rollup_day(merchant=item, day=day, now=now)
            written += 1
    return written

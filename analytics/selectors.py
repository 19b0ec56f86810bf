"""Every read of the reports: aggregate queries over loyalty's and promotions' tables (read-only) and
over analytics' own rollups. All scoped by merchant; a few queries per call, whatever the data size.

Time ranges are half-open, [start, end), as aware datetimes; `start=None` means from the beginning.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth

from accounts.models import Customer, Merchant, Store
from analytics.models import PointsDay, RollupDay, SalesDay
from loyalty.models import Entry, Receipt
from promotions.models import PromotionUse

ZERO = Decimal("0")
# `applied` kinds of a receipt (the checkout's explanation) and the discount mechanic each one is.
# The agents' checkout step (referrals.social_pipeline.step_agent_discount) writes {"kind": "agent_discount", "amount": ...}.
DISCOUNT_KINDS = {"tier_discount": "tier", "promotion": "promotions", "gift": "gifts", "agent_discount": "agents"}
MECHANICS = ("tier", "promotions", "agents", "gifts")
MONEY_OUT = DecimalField(max_digits=18, decimal_places=2)


@dataclass
class Figures:
    """What happened in a span of days: every figure here adds up across days and stores."""

    receipts: int = 0
    member_receipts: int = 0
    revenue: Decimal = ZERO
    member_revenue: Decimal = ZERO
    discounts: dict = field(default_factory=lambda: {name: ZERO for name in MECHANICS})
    new_members: int = 0
    credited: dict = field(default_factory=lambda: defaultdict(int))
    debited: dict = field(default_factory=lambda: defaultdict(int))

    def add(self, other: "Figures") -> "Figures":
        self.receipts += other.receipts
        self.member_receipts += other.member_receipts
        self.revenue += other.revenue
        self.member_revenue += other.member_revenue
        for name in MECHANICS:
            self.discounts[name] += other.discounts[name]
        self.new_members += other.new_members
        for kind, points in other.credited.items():
            self.credited[kind] += points
        for kind, points in other.debited.items():
            self.debited[kind] += points
        return self

    @property
    def net_points(self) -> int:
        return sum(self.credited.values()) - sum(self.debited.values())


def _range(prefix: str, start: datetime | None, end: datetime) -> Q:
    q = Q(**{f"{prefix}__lt": end})
    if start is not None:
        q &= Q(**{f"{prefix}__gte": start})
    return q


def _money(value) -> Decimal:
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _discounts_by_store(*, merchant: Merchant, start: datetime | None, end: datetime, store: Store | None) -> dict:
    """{store_id: {mechanic: amount}} from the `applied` explanation of the range's receipts (one query)."""
    params: list = [merchant.pk, connection.ops.adapt_datetimefield_value(end)]
    where = "r.merchant_id = %s AND r.purchased_at < %s"
    if start is not None:
        where += " AND r.purchased_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(start))
    if store is not None:
        where += " AND r.store_id = %s"
        params.append(store.pk)
    kinds = list(DISCOUNT_KINDS)
    marks = ", ".join(["%s"] * len(kinds))
    if connection.vendor == "postgresql":
        sql = (f"SELECT r.store_id, a->>'kind', SUM((a->>'amount')::numeric) FROM loyalty_receipt r "
               f"CROSS JOIN LATERAL jsonb_array_elements(r.applied) a WHERE {where} AND a->>'kind' IN ({marks}) "
               f"AND a ? 'amount' GROUP BY 1, 2")
    else:
        sql = (f"SELECT r.store_id, json_extract(a.value, '$.kind'), SUM(CAST(json_extract(a.value, '$.amount') AS NUMERIC)) "
               f"FROM loyalty_receipt r, json_each(r.applied) a WHERE {where} AND json_extract(a.value, '$.kind') IN ({marks}) "
               f"AND json_extract(a.value, '$.amount') IS NOT NULL GROUP BY 1, 2")
    out: dict = defaultdict(lambda: {name: ZERO for name in MECHANICS})
    with connection.cursor() as cursor:
        cursor.execute(sql, params + kinds)
        for store_id, kind, amount in cursor.fetchall():
            out[store_id][DISCOUNT_KINDS[kind]] += _money(amount)
    return out


def figures_by_store_live(*, merchant: Merchant, start: datetime | None, end: datetime, store: Store | None = None) -> dict:
    """{store_id or None: Figures} computed from the receipts, customers and ledger (four queries).

    Receipts count by `purchased_at`; their revenue is subtotal - discount less what their returns
    took back. Entries count by `at`, at the store of their receipt (or of their lot's receipt, for
    expiry); an entry with no receipt behind it (welcome, bonus, adjustment, ...) has store None.
    """
    out: dict = defaultdict(Figures)
    receipts = Receipt.objects.filter(_range("purchased_at", start, end), merchant=merchant)
    if store is not None:
        receipts = receipts.filter(store=store)
    cost = ExpressionWrapper(F("subtotal") - F("discount") - F("refunded_cost"), output_field=MONEY_OUT)
    member = Q(customer__isnull=False)
    for row in receipts.values("store_id").annotate(
        n=Count("pk"), members=Count("pk", filter=member), revenue=Sum(cost), member_revenue=Sum(cost, filter=member)
    ).order_by():
        figures = out[row["store_id"]]
        figures.receipts = row["n"]
        figures.member_receipts = row["members"]
        figures.revenue = _money(row["revenue"])
        figures.member_revenue = _money(row["member_revenue"])
    for store_id, amounts in _discounts_by_store(merchant=merchant, start=start, end=end, store=store).items():
        out[store_id].discounts = amounts
    joined = Customer.objects.filter(_range("created_at", start, end), merchant=merchant)
    if store is not None:
        joined = joined.filter(joined_store=store)
    for row in joined.values("joined_store_id").annotate(n=Count("pk")).order_by():
        out[row["joined_store_id"]].new_members = row["n"]
    entries = Entry.objects.filter(_range("at", start, end), merchant=merchant).annotate(
        entry_store=Coalesce("receipt__store_id", "lot__receipt__store_id"))
    if store is not None:
        entries = entries.filter(entry_store=store.pk)
    for row in entries.values("entry_store", "kind").annotate(
        credited=Sum("points", filter=Q(points__gt=0)), debited=Sum("points", filter=Q(points__lt=0))
    ).order_by():
        figures = out[row["entry_store"]]
        if row["credited"]:
            figures.credited[row["kind"]] += row["credited"]
        if row["debited"]:
            figures.debited[row["kind"]] += -row["debited"]
    return dict(out)


def figures_live(*, merchant: Merchant, start: datetime | None, end: datetime, store: Store | None = None) -> Figures:
    total = Figures()
    for figures in figures_by_store_live(merchant=merchant, start=start, end=end, store=store).values():
        total.add(figures)
    return total


# ------------------------------------------------------------------ rollups


def rolled_days(*, merchant: Merchant, first: date | None, last: date) -> set[date]:
    """The days in [first, last] the rollup job has written."""
    days = RollupDay.objects.filter(merchant=merchant, day__lte=last)
    if first is not None:
        days = days.filter(day__gte=first)
    return set(days.values_list("day", flat=True))


def first_rolled_day(*, merchant: Merchant) -> date | None:
    return RollupDay.objects.filter(merchant=merchant).order_by("day").values_list("day", flat=True).first()


def figures_by_day_rolled(*, merchant: Merchant, first: date | None, last: date, store: Store | None = None) -> dict:
    """{day: Figures} from the rollup rows of [first, last] (two queries)."""
    out: dict = defaultdict(Figures)
    sales = SalesDay.objects.filter(merchant=merchant, day__lte=last)
    points = PointsDay.objects.filter(merchant=merchant, day__lte=last)
    if first is not None:
        sales, points = sales.filter(day__gte=first), points.filter(day__gte=first)
    if store is not None:
        sales, points = sales.filter(store=store), points.filter(store=store)
    for row in sales.values("day").annotate(
        receipts=Sum("receipts"), member_receipts=Sum("member_receipts"), revenue=Sum("revenue"), member_revenue=Sum("member_revenue"),
        tier=Sum("discount_tier"), promotions=Sum("discount_promotions"), agents=Sum("discount_agents"), gifts=Sum("discount_gifts"),
        new_members=Sum("new_members"),
    ).order_by():
        figures = out[row["day"]]
        figures.receipts = row["receipts"] or 0
        figures.member_receipts = row["member_receipts"] or 0
        figures.revenue = _money(row["revenue"])
        figures.member_revenue = _money(row["member_revenue"])
        figures.discounts = {name: _money(row[name]) for name in MECHANICS}
        figures.new_members = row["new_members"] or 0
    for row in points.values("day", "kind").annotate(credited=Sum("credited"), debited=Sum("debited")).order_by():
        figures = out[row["day"]]
        if row["credited"]:
            figures.credited[row["kind"]] += row["credited"]
        if row["debited"]:
            figures.debited[row["kind"]] += row["debited"]
    return dict(out)


def net_points_rolled(*, merchant: Merchant, last: date) -> int:
    """Points credited less debited over every rolled-up day up to `last`, program-wide (one query)."""
    row = PointsDay.objects.filter(merchant=merchant, day__lte=last).aggregate(credited=Sum("credited"), debited=Sum("debited"))
    return (row["credited"] or 0) - (row["debited"] or 0)


def net_points_live(*, merchant: Merchant, start: datetime | None, end: datetime) -> int:
    return Entry.objects.filter(_range("at", start, end), merchant=merchant).aggregate(total=Sum("points"))["total"] or 0


# ------------------------------------------------------------------ customers

DAY_ZERO = date(2000, 1, 1)


def day_number(day: date) -> int:
    """A merchant's day as the integer the customers' day lists hold."""
    return (day - DAY_ZERO).days


def buyer_counts_rolled(*, merchant: Merchant, current: tuple[date, date], previous: tuple[date, date],
                        live: list[tuple[datetime, datetime, str]], store: Store | None = None) -> dict:
    """PostgreSQL: buyers, repeat buyers, previous buyers and returning buyers in one query.

    Receipts of rolled-up days are counted from the customers' day lists (two binary searches per
    list and period, width_bucket); `live` ranges, each tagged "current" or "previous", from receipts.
    """
    a, b = day_number(current[0]), day_number(current[1])
    pa, pb = day_number(previous[0]), day_number(previous[1])
    params: list = [b, a - 1, pb, pa - 1, merchant.pk]
    where_store = ""
    if store is not None:
        where_store = " AND store_id = %s"
        params.append(store.pk)
    live_sql = ""
    for start, end, which in live:
        live_sql += (" UNION ALL SELECT customer_id, " + ("count(*), 0" if which == "current" else "0, count(*)") +
                     " FROM loyalty_receipt WHERE merchant_id = %s AND customer_id IS NOT NULL AND purchased_at >= %s AND purchased_at < %s"
                     + (" AND store_id = %s" if store is not None else "") + " GROUP BY customer_id")
        params.extend([merchant.pk, start, end] + ([store.pk] if store is not None else []))
    sql = f"""
        SELECT count(*) FILTER (WHERE cur > 0), count(*) FILTER (WHERE cur > 1), count(*) FILTER (WHERE prev > 0),
               count(*) FILTER (WHERE prev > 0 AND cur > 0)
        FROM (SELECT customer_id, sum(cur) AS cur, sum(prev) AS prev FROM (
            SELECT customer_id, width_bucket(%s, days) - width_bucket(%s, days) AS cur,
                   width_bucket(%s, days) - width_bucket(%s, days) AS prev
            FROM analytics_customerdays WHERE merchant_id = %s{where_store}
            {live_sql}) u GROUP BY customer_id) t"""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        buyers, repeat, previous_buyers, returning = cursor.fetchone()
    return {"buyers": buyers or 0, "repeat": repeat or 0, "previous_buyers": previous_buyers or 0, "returning": returning or 0}



def members_count(*, merchant: Merchant, end: datetime, store: Store | None = None) -> int:
    members = Customer.objects.filter(merchant=merchant, created_at__lt=end)
    if store is not None:
        members = members.filter(joined_store=store)
    return members.count()


def _member_receipts(*, merchant: Merchant, start: datetime, end: datetime, store: Store | None):
    receipts = Receipt.objects.filter(merchant=merchant, purchased_at__gte=start, purchased_at__lt=end, customer__isnull=False)
    if store is not None:
        receipts = receipts.filter(store=store)
    return receipts


def buyers_get(*, merchant: Merchant, start: datetime, end: datetime, store: Store | None = None) -> dict:
    """Members who bought in [start, end): how many, and how many bought twice or more (one query)."""
    per_customer = _member_receipts(merchant=merchant, start=start, end=end, store=store).values("customer_id").annotate(n=Count("pk")).order_by()
    row = per_customer.aggregate(buyers=Count("customer_id"), repeat=Count("customer_id", filter=Q(n__gte=2)))
    return {"buyers": row["buyers"] or 0, "repeat": row["repeat"] or 0}


def returning_buyers_count(*, merchant: Merchant, previous: tuple[datetime, datetime], current: tuple[datetime, datetime],
                           store: Store | None = None) -> int:
    """Buyers of the previous range who bought again in the current one (one query)."""
    again = _member_receipts(merchant=merchant, start=current[0], end=current[1], store=store).values("customer_id")
    return (_member_receipts(merchant=merchant, start=previous[0], end=previous[1], store=store)
            .filter(customer_id__in=again).values("customer_id").distinct().count())


def cohort_rows(*, merchant: Merchant, start: datetime, end: datetime, store: Store | None, zone) -> tuple[dict, dict]:
    """Members who joined in [start, end) by local month, and of them, buyers by (join month, purchase month)
    up to `end` (two queries)."""
    members = Customer.objects.filter(merchant=merchant, created_at__gte=start, created_at__lt=end)
    receipts = Receipt.objects.filter(merchant=merchant, customer__created_at__gte=start, customer__created_at__lt=end,
                                      purchased_at__gte=start, purchased_at__lt=end)
    if store is not None:
        members = members.filter(joined_store=store)
        receipts = receipts.filter(store=store, customer__joined_store=store)
    sizes = {row["month"].date() if isinstance(row["month"], datetime) else row["month"]: row["n"]
             for row in members.annotate(month=TruncMonth("created_at", tzinfo=zone)).values("month").annotate(n=Count("pk")).order_by()}
    active = {}
    for row in (receipts.annotate(cohort=TruncMonth("customer__created_at", tzinfo=zone), month=TruncMonth("purchased_at", tzinfo=zone))
                .values("cohort", "month").annotate(n=Count("customer_id", distinct=True)).order_by()):
        cohort = row["cohort"].date() if isinstance(row["cohort"], datetime) else row["cohort"]
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        active[(cohort, month)] = row["n"]
    return sizes, active


def promotion_rows(*, merchant: Merchant, start: datetime, end: datetime, store: Store | None = None) -> list[dict]:
    """Per promotion used on the range's receipts: receipts, customers, discount, points, revenue (one query)."""
    uses = PromotionUse.objects.filter(merchant=merchant, receipt__purchased_at__gte=start, receipt__purchased_at__lt=end)
    if store is not None:
        uses = uses.filter(receipt__store=store)
    cost = ExpressionWrapper(F("receipt__subtotal") - F("receipt__discount") - F("receipt__refunded_cost"), output_field=MONEY_OUT)
    return list(
        uses.values("promotion__code", "promotion__name").annotate(
            receipts=Count("pk"), customers=Count("customer_id", distinct=True), discount=Sum("amount"), points=Sum("points"),
            revenue=Sum(cost),
        ).order_by("-receipts", "promotion__code")
    )


def daily_points_live(*, merchant: Merchant, start: datetime, end: datetime, zone, store: Store | None = None) -> dict:
    """{day: {kind: (credited, debited)}} of the ledger in [start, end) by the merchant's day (one query)."""
    from django.db.models.functions import TruncDate

    entries = Entry.objects.filter(merchant=merchant, at__gte=start, at__lt=end)
    if store is not None:
        entries = entries.annotate(entry_store=Coalesce("receipt__store_id", "lot__receipt__store_id")).filter(entry_store=store.pk)
    out: dict = defaultdict(dict)
    for row in entries.annotate(day=TruncDate("at", tzinfo=zone)).values("day", "kind").annotate(
        credited=Sum("points", filter=Q(points__gt=0)), debited=Sum("points", filter=Q(points__lt=0))
    ).order_by():
        out[row["day"]][row["kind"]] = (row["credited"] or 0, -(row["debited"] or 0))
    return dict(out)


def daily_points_rolled(*, merchant: Merchant, first: date, last: date, store: Store | None = None) -> dict:
    """{day: {kind: (credited, debited)}} from the rollups of [first, last] (one query)."""
    rows = PointsDay.objects.filter(merchant=merchant, day__gte=first, day__lte=last)
    if store is not None:
        rows = rows.filter(store=store)
    out: dict = defaultdict(dict)
    for row in rows.values("day", "kind").annotate(credited=Sum("credited"), debited=Sum("debited")).order_by():
        out[row["day"]][row["kind"]] = (row["credited"] or 0, row["debited"] or 0)
    return dict(out)

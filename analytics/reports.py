"""The reports: economics, customers, cohorts and promotions, as the API returns them.

A period's figures are the rollup rows of its closed days that the rollup job has written plus a live
computation of the rest (today, and any day the job has not reached): the two give the same numbers
(tests/analytics/test_rollups.py). Definitions (also on the report pages and in the README):

- accrued: every positive ledger entry in the period except the points a return gives back, split by kind;
- redeemed, expired, donated: the negative entries of those kinds; reversed: points taken back by
  returns; returned: points given back by returns (what had been redeemed); other_debits: any other
  negative entries (adjustments, transfers) by kind. All as positive numbers, so
  accrued + returned - redeemed - expired - donated - reversed - other debits = the ledger's net change;
- revenue: subtotal - discount of the period's receipts less what their returns took back, anonymous
  sales included;
- liability: every member's available plus pending points at the end of `to` (program-wide: points
  are spent in any store), and their value at today's point value;
- redemption_rate = redeemed / accrued; effective_discount_percent = 100 × (redeemed × point value +
  discounts) / revenue; discounts by mechanic from the receipts' explanations.
- customers: see customers_report.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection

from analytics import selectors
from analytics.periods import Period, local_midnight
from analytics.selectors import MECHANICS, ZERO, Figures
from loyalty.models import EntryKind
from loyalty.selectors import program_get

SHARE = Decimal("0.0001")
CENT = Decimal("0.01")
DEBIT_KINDS = {EntryKind.REDEMPTION: "redeemed", EntryKind.EXPIRY: "expired", EntryKind.DONATION: "donated"}


def share(numerator, denominator) -> str:
    """A share as a decimal string with 4 places ("0.2500"); "0.0000" when there is nothing to divide by."""
    if not denominator:
        return "0.0000"
    return str((Decimal(numerator) / Decimal(denominator)).quantize(SHARE, rounding=ROUND_HALF_UP))


def money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def _days(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Consecutive days merged into (first, last) runs."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def _plan(period: Period, first: date | None = None, last: date | None = None) -> tuple[set[date], list[tuple[date, date]]]:
    """The rolled-up days of [first, last] (closed days the job wrote) and the runs of days to compute live."""
    first = first or period.first
    last = last or period.last
    rolled = {day for day in selectors.rolled_days(merchant=period.merchant, first=first, last=last) if day < period.today}
    # Days after today hold nothing yet: one run up to today at most.
    live_last = min(last, period.today)
    live = [day for day in _days(first, live_last) if day not in rolled] if first <= live_last else []
    return rolled, _runs(live)


def period_figures(period: Period) -> Figures:
    """The period's summable figures, from rollups and live."""
    rolled, runs = _plan(period)
    total = Figures()
    if rolled:
        for day, figures in selectors.figures_by_day_rolled(merchant=period.merchant, first=min(rolled), last=max(rolled),
                                                            store=period.store).items():
            if day in rolled:
                total.add(figures)
    for first, last in runs:
        total.add(selectors.figures_live(merchant=period.merchant, start=local_midnight(first, period.zone),
                                         end=local_midnight(last + timedelta(days=1), period.zone), store=period.store))
    return total


def liability_points_at(period: Period, day: date) -> int:
    """Available plus pending points of every member at the end of `day` (program-wide)."""
    merchant = period.merchant
    first_rolled = selectors.first_rolled_day(merchant=merchant)
    end = local_midnight(day + timedelta(days=1), period.zone)
    if first_rolled is None or first_rolled > day:
        return selectors.net_points_live(merchant=merchant, start=None, end=end)
    total = selectors.net_points_live(merchant=merchant, start=None, end=local_midnight(first_rolled, period.zone))
    rolled, runs = _plan(period, first_rolled, day)
    total += selectors.net_points_rolled(merchant=merchant, last=min(day, period.today - timedelta(days=1)))
    for first, last in runs:
        total += selectors.net_points_live(merchant=merchant, start=local_midnight(first, period.zone),
                                           end=local_midnight(last + timedelta(days=1), period.zone))
    return total


def _points_by_day(period: Period, *, store) -> dict:
    """{day: {kind: (credited, debited)}} over the period, rolled and live."""
    rolled, runs = _plan(period)
    out = {}
    if rolled:
        for day, kinds in selectors.daily_points_rolled(merchant=period.merchant, first=min(rolled), last=max(rolled), store=store).items():
            if day in rolled:
                out[day] = kinds
    for first, last in runs:
        out.update(selectors.daily_points_live(merchant=period.merchant, start=local_midnight(first, period.zone),
                                               end=local_midnight(last + timedelta(days=1), period.zone), zone=period.zone, store=store))
    return out


def economics_series(period: Period) -> list[dict]:
    """Per day: points accrued, redeemed and expired (at the store, when one is chosen) and the liability at the day's end."""
    at_store = _points_by_day(period, store=period.store)
    program_wide = at_store if period.store is None else _points_by_day(period, store=None)
    liability = liability_points_at(period, period.first - timedelta(days=1))
    series = []
    for day in _days(period.first, period.last):
        kinds = at_store.get(day, {})
        liability += sum(c - d for c, d in program_wide.get(day, {}).values())
        series.append({
            "day": day,
            "accrued": sum(c for kind, (c, _d) in kinds.items() if kind != EntryKind.REFUND),
            "redeemed": kinds.get(EntryKind.REDEMPTION, (0, 0))[1],
            "expired": kinds.get(EntryKind.EXPIRY, (0, 0))[1],
            "liability": liability,
        })
    return series


def economics_report(period: Period, *, series: bool = False) -> dict:
    figures = period_figures(period)
    point_value = program_get(merchant=period.merchant).point_value
    by_kind = {kind: points for kind, points in sorted(figures.credited.items()) if kind != EntryKind.REFUND and points}
    accrued = sum(by_kind.values())
    debits = {name: figures.debited.get(kind, 0) for kind, name in DEBIT_KINDS.items()}
    reversed_points = figures.debited.get(EntryKind.REFUND, 0)
    other = {kind: points for kind, points in sorted(figures.debited.items())
             if kind not in DEBIT_KINDS and kind != EntryKind.REFUND and points}
    liability = liability_points_at(period, period.last)
    discounts = figures.discounts
    discount_total = sum(discounts.values(), ZERO)
    redeemed_value = Decimal(debits["redeemed"]) * point_value
    effective = Decimal("0.00") if not figures.revenue else (
        (redeemed_value + discount_total) * 100 / figures.revenue).quantize(CENT, rounding=ROUND_HALF_UP)
    report = {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "store": period.store.code if period.store else None,
        "revenue": money(figures.revenue),
        "receipts": figures.receipts,
        "points": {
            "accrued": accrued,
            "by_kind": by_kind,
            **debits,
            "reversed": reversed_points,
            "returned": figures.credited.get(EntryKind.REFUND, 0),
            "other_debits": other,
            "net_change": figures.net_points,
        },
        "liability": {"points": liability, "amount": money(Decimal(liability) * point_value)},
        "redemption_rate": share(debits["redeemed"], accrued),
        "effective_discount_percent": str(effective),
        "discounts": {name: money(discounts[name]) for name in MECHANICS},
        "point_value": str(point_value),
    }
    if series:
        report["series"] = [{**item, "day": item["day"].isoformat()} for item in economics_series(period)]
    return report


def customers_report(period: Period) -> dict:
    """members: joined by the end of `to`; new_members: joined in the period; buyers: members who bought in
    the period; crr: buyers of the previous period of equal length who bought again in this one, over
    the buyers of that previous period; repeat_rate: buyers with two or more purchases over buyers;
    frequency: members' purchases over buyers; average_check: revenue per receipt, members vs
    anonymous; clv: members' revenue since joining (to the end of `to`) over members.
    With a store: members who joined there, purchases made there."""
    merchant, store = period.merchant, period.store
    figures = period_figures(period)
    previous = period.previous()
    buyers = _buyer_counts(period, previous)
    members = selectors.members_count(merchant=merchant, end=period.end, store=store)
    lifetime = Period(merchant=merchant, first=date(1900, 1, 2), last=period.last, store=store, today=period.today)
    lifetime_revenue = _lifetime_member_revenue(lifetime)
    anonymous_receipts = figures.receipts - figures.member_receipts
    anonymous_revenue = figures.revenue - figures.member_revenue
    return {
        "from": period.first.isoformat(),
        "to": period.last.isoformat(),
        "store": store.code if store else None,
        "members": members,
        "new_members": figures.new_members,
        "buyers": buyers["buyers"],
        "repeat_buyers": buyers["repeat"],
        "previous_buyers": buyers["previous_buyers"],
        "returning_buyers": buyers["returning"],
        "purchases": figures.member_receipts,
        "crr": share(buyers["returning"], buyers["previous_buyers"]),
        "repeat_rate": share(buyers["repeat"], buyers["buyers"]),
        "frequency": share(figures.member_receipts, buyers["buyers"]),
        "average_check": {
            "members": money(figures.member_revenue / figures.member_receipts) if figures.member_receipts else "0.00",
            "anonymous": money(anonymous_revenue / anonymous_receipts) if anonymous_receipts else "0.00",
        },
        "clv": money(lifetime_revenue / members) if members else "0.00",
    }


def _buyer_counts(period: Period, previous: Period) -> dict:
    """Buyers, repeat buyers, previous buyers and returning buyers: from the customers' day lists of
    rolled-up days plus live receipts on PostgreSQL, from receipts alone elsewhere."""
    merchant, store = period.merchant, period.store
    if connection.vendor == "postgresql":
        live = []
        for which, span in (("current", period), ("previous", previous)):
            _rolled, runs = _plan(span)
            live.extend((local_midnight(first, span.zone), local_midnight(last + timedelta(days=1), span.zone), which) for first, last in runs)
        # The day lists hold only rolled-up days, so the whole spans can be searched in them.
        return selectors.buyer_counts_rolled(merchant=merchant, current=(period.first, period.last),
                                             previous=(previous.first, previous.last), live=live, store=store)
    buyers = selectors.buyers_get(merchant=merchant, start=period.start, end=period.end, store=store)
    previous_buyers = selectors.buyers_get(merchant=merchant, start=previous.start, end=previous.end, store=store)["buyers"]
    returning = selectors.returning_buyers_count(merchant=merchant, previous=(previous.start, previous.end),
                                                 current=(period.start, period.end), store=store)
    return {**buyers, "previous_buyers": previous_buyers, "returning": returning}


def _lifetime_member_revenue(period: Period) -> Decimal:
    """Members' revenue from the first receipt to the end of the period: rollups for rolled days, live for the rest."""
    merchant = period.merchant
    first_rolled = selectors.first_rolled_day(merchant=merchant)
    if first_rolled is None or first_rolled > period.last:
        return selectors.figures_live(merchant=merchant, start=None, end=period.end, store=period.store).member_revenue
    before = selectors.figures_live(merchant=merchant, start=None, end=local_midnight(first_rolled, period.zone), store=period.store)
    rest = period_figures(Period(merchant=merchant, first=first_rolled, last=period.last, store=period.store, today=period.today))
    return before.member_revenue + rest.member_revenue


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def cohorts_report(period: Period) -> dict:
    """Per month of joining in the period: its members, and the share of them who bought in that month
    and each later month up to `to` (offset 0 is the month they joined)."""
    sizes, active = selectors.cohort_rows(merchant=period.merchant, start=period.start, end=period.end, store=period.store,
                                          zone=period.zone)
    last_month = period.last.replace(day=1)
    cohorts = []
    month = period.first.replace(day=1)
    while month <= last_month:
        members = sizes.get(month, 0)
        retention = []
        offset, current = 0, month
        while current <= last_month:
            buyers = active.get((month, current), 0)
            retention.append({"month": current.strftime("%Y-%m"), "offset": offset, "buyers": buyers, "share": share(buyers, members)})
            offset, current = offset + 1, _month_add(current, 1)
        cohorts.append({"month": month.strftime("%Y-%m"), "members": members, "retention": retention})
        month = _month_add(month, 1)
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "store": period.store.code if period.store else None,
            "cohorts": cohorts}


def promotions_report(period: Period) -> dict:
    """Per promotion applied to the period's receipts: receipts, distinct customers, money off, points
    added, and those receipts' revenue (less their returns)."""
    rows = selectors.promotion_rows(merchant=period.merchant, start=period.start, end=period.end, store=period.store)
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "store": period.store.code if period.store else None,
            "promotions": [{"code": row["promotion__code"], "name": row["promotion__name"], "receipts": row["receipts"],
                            "customers": row["customers"], "discount": money(row["discount"] or ZERO), "points": row["points"] or 0,
                            "revenue": money(row["revenue"] or ZERO)} for row in rows]}

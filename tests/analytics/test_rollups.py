"""Rollups equal live computation for the same period; the job is idempotent; economics reconciles
with the ledger under random histories."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Store
from analytics.models import CustomerDays, PointsDay, RollupDay, SalesDay
from analytics.periods import period_parse
from analytics.reports import customers_report, economics_report
from analytics.rollups import days_to_roll, rollup_day, rollups_run
from loyalty.models import Entry, Receipt
from loyalty.services import points_expire, receipt_commit, receipt_refund
from tests.factories import MerchantFactory, customer_create, draft, program_set

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=MSK)


def history(merchant):
    program_set(merchant, accrual_percent=Decimal("10"), points_ttl_days=3)
    main = Store.objects.get(merchant=merchant, code="main")
    north = Store.objects.create(merchant=merchant, code="north", name="North")
    people = [customer_create(merchant, at=at(1, 8)), customer_create(merchant, at=at(3, 8), store=north)]
    receipts = []
    for day in range(2, 12):
        store = main if day % 2 else north
        customer = people[day % 2] if day % 3 else None
        receipt, _calc = receipt_commit(merchant=merchant, store=store, customer=customer, number=f"N{day}",
                                        draft=draft(("A", "2", f"{day * 10}.00"), redeem=5 if customer and day > 4 else 0,
                                                    purchased_at=at(day)), now=at(day))
        receipts.append(receipt)
        points_expire(now=at(day, 23))
    receipt_refund(receipt=receipts[3], data={"lines": [{"sku": "A", "quantity": "1"}]}, now=at(9))
    return main, north


def day_lists(merchant) -> list:
    """The customers' day lists (PostgreSQL; empty on SQLite, where nothing writes them)."""
    return sorted((str(row.customer_id), row.store_id, str(row.days)) for row in CustomerDays.objects.filter(merchant=merchant))


def reports(merchant, now, store=None):
    params = {"from": "2026-11-01", "to": "2026-11-12", **({"store": store} if store else {})}
    period = period_parse(merchant=merchant, params=params, now=now)
    return economics_report(period, series=True), customers_report(period)


def test_rollups_give_the_live_figures(merchant):
    history(merchant)
    now = at(12, 15)
    live = [reports(merchant, now), reports(merchant, now, "north")]
    written = rollups_run(now=now)
    assert written == 11  # 1-11 Nov closed; the 12th is today
    assert RollupDay.objects.filter(merchant=merchant).count() == 11
    assert SalesDay.objects.filter(merchant=merchant).exists() and PointsDay.objects.filter(merchant=merchant).exists()
    assert [reports(merchant, now), reports(merchant, now, "north")] == live


def test_a_rerun_of_a_day_writes_the_same_rows(merchant):
    history(merchant)
    rollups_run(now=at(12, 15))

    def rows():
        return (sorted(SalesDay.objects.filter(merchant=merchant).values_list("store_id", "day", "receipts", "revenue", "new_members"), key=str),
                sorted(PointsDay.objects.filter(merchant=merchant).values_list("store_id", "day", "kind", "credited", "debited"), key=str))

    before = rows() + (day_lists(merchant),)
    rollup_day(merchant=merchant, day=at(5).date())
    call_command("rollup_reports", "--now", at(12, 15).isoformat())
    assert rows() + (day_lists(merchant),) == before


def test_a_late_receipt_or_return_rolls_its_day_again(merchant):
    main, _north = history(merchant)
    rollups_run(now=at(12, 15))
    assert days_to_roll(merchant=merchant, now=at(12, 16)) == [at(10).date(), at(11).date()]
    customer = customer_create(merchant, at=at(12, 16))
    receipt_commit(merchant=merchant, store=main, customer=customer, number="LATE", draft=draft(("A", "1", "77.00"), purchased_at=at(4)),
                   now=at(12, 16))
    receipt_refund(receipt=Receipt.objects.get(number="N6"), data={}, now=at(12, 16))
    assert at(4).date() in days_to_roll(merchant=merchant, now=at(12, 17))
    assert at(6).date() in days_to_roll(merchant=merchant, now=at(12, 17))
    stale = reports(merchant, at(12, 17))
    rollups_run(now=at(12, 17))
    fresh = reports(merchant, at(12, 17))
    assert fresh != stale
    RollupDay.objects.filter(merchant=merchant).delete()
    SalesDay.objects.filter(merchant=merchant).delete()
    PointsDay.objects.filter(merchant=merchant).delete()
    CustomerDays.objects.filter(merchant=merchant).delete()
    assert reports(merchant, at(12, 17)) == fresh


def test_the_job_writes_only_its_own_merchants_rows(merchant):
    history(merchant)
    other = MerchantFactory()
    rollups_run(now=at(12, 15), merchant=other)
    assert not SalesDay.objects.filter(merchant=merchant).exists()


actions = st.lists(st.tuples(st.integers(min_value=1, max_value=20), st.sampled_from(["buy", "redeem", "anon", "refund", "expire"]),
                             st.integers(min_value=1, max_value=500)), min_size=1, max_size=12)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=actions, roll=st.booleans())
def test_economics_reconciles_with_the_ledger(steps, roll):
    """accrued + returned - redeemed - expired - donated - reversed - other debits = the ledger's change,
    and the liability = the ledger's sum, under random receipts, redemptions, returns and expiry."""
    merchant = MerchantFactory()
    program_set(merchant, accrual_percent=Decimal("7"), points_ttl_days=4)
    store = Store.objects.get(merchant=merchant, code="main")
    customers = [customer_create(merchant, at=at(1, 8)), customer_create(merchant, at=at(1, 9))]
    receipts = []
    for index, (day, action, amount) in enumerate(sorted(steps, key=lambda step: step[0])):
        when = at(day, 10) + timedelta(minutes=index)
        customer = customers[index % 2]
        if action in ("buy", "redeem", "anon"):
            receipt, _ = receipt_commit(merchant=merchant, store=store, customer=None if action == "anon" else customer,
                                        number=f"R{index}", draft=draft(("A", "1", f"{amount}.00"), purchased_at=when,
                                                                        redeem="max" if action == "redeem" else 0), now=when)
            receipts.append(receipt)
        elif action == "refund" and receipts:
            target = Receipt.objects.get(pk=receipts[amount % len(receipts)].pk)
            if not target.fully_refunded:
                receipt_refund(receipt=target, data={}, now=when)
        elif action == "expire":
            points_expire(now=when)
    now = at(25)
    if roll:
        rollups_run(now=now)
    for first, last in (("2026-11-01", "2026-11-30"), ("2026-11-05", "2026-11-12")):
        report = economics_report(period_parse(merchant=merchant, params={"from": first, "to": last}, now=now))
        start = datetime.fromisoformat(first).replace(tzinfo=MSK)
        end = datetime.fromisoformat(last).replace(tzinfo=MSK) + timedelta(days=1)
        entries = Entry.objects.filter(merchant=merchant, at__gte=start, at__lt=end)
        points = report["points"]
        change = (points["accrued"] + points["returned"] - points["redeemed"] - points["expired"] - points["donated"] - points["reversed"]
                  - sum(points["other_debits"].values()))
        assert change == points["net_change"] == sum(entries.values_list("points", flat=True))
        assert points["accrued"] == sum(e for e in entries.exclude(kind="refund").values_list("points", flat=True) if e > 0)
        assert points["redeemed"] == -sum(entries.filter(kind="redemption").values_list("points", flat=True))
        assert points["expired"] == -sum(entries.filter(kind="expiry").values_list("points", flat=True))
        assert report["liability"]["points"] == sum(Entry.objects.filter(merchant=merchant, at__lt=end).values_list("points", flat=True))
        sold = Receipt.objects.filter(merchant=merchant, purchased_at__gte=start, purchased_at__lt=end)
        assert Decimal(report["revenue"]) == sum((r.subtotal - r.discount - r.refunded_cost for r in sold), Decimal("0"))
        assert report["receipts"] == sold.count()


@pytest.mark.postgres
def test_day_lists_hold_one_day_per_receipt_sorted(merchant):
    main, north = history(merchant)
    rollups_run(now=at(12, 15))
    from analytics.selectors import day_number

    lists = {(row.customer_id, row.store_id): row.days for row in CustomerDays.objects.filter(merchant=merchant)}
    receipts = Receipt.objects.filter(merchant=merchant, customer__isnull=False, purchased_at__lt=at(12, 0))
    expected: dict = {}
    for receipt in receipts:
        expected.setdefault((receipt.customer_id, receipt.store_id), []).append(day_number(receipt.purchased_at.astimezone(MSK).date()))
    assert lists == {key: sorted(days) for key, days in expected.items()}

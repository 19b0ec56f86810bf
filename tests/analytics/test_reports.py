"""Every report figure on hand-built data: receipts, a return, a tier discount, a promotion, expiry."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Store
from analytics.periods import period_parse
from analytics.reports import cohorts_report, customers_report, economics_report, promotions_report
from loyalty.models import Entry, Tier
from loyalty.services import points_adjust, points_expire, receipt_commit, receipt_refund
from promotions.services import promotion_create
from tests.factories import customer_create, draft, program_set

pytestmark = pytest.mark.django_db
MSK = ZoneInfo("Europe/Moscow")


def at(day: int, hour: int = 12, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=MSK)


def period(merchant, first, last, store=None, now=None):
    params = {"from": first, "to": last}
    if store:
        params["store"] = store
    return period_parse(merchant=merchant, params=params, now=now or at(30, 23))


@pytest.fixture
def shop(merchant):
    """Two stores; Anna (joined 1 Nov, 300 welcome points) buys twice in the period, Boris once in October
    and once in the period; one anonymous sale; Anna returns half of her second receipt."""
    program_set(merchant, accrual_percent=Decimal("10"), welcome_bonus=300, welcome_bonus_ttl_days=None, points_ttl_days=None)
    main = Store.objects.get(merchant=merchant, code="main")
    other = Store.objects.create(merchant=merchant, code="north", name="North")
    anna = customer_create(merchant, at=at(1, 9))
    boris = customer_create(merchant, at=at(10, 9, month=10))
    receipt_commit(merchant=merchant, store=main, customer=boris, number="B0", draft=draft(("A", "1", "500.00"), purchased_at=at(15, month=10)),
                   now=at(15, month=10))
    receipt_commit(merchant=merchant, store=main, customer=anna, number="A1", draft=draft(("A", "2", "500.00"), purchased_at=at(5)), now=at(5))
    second, _calc = receipt_commit(merchant=merchant, store=other, customer=anna, number="A2",
                                   draft=draft(("A", "2", "100.00"), redeem=50, purchased_at=at(6)), now=at(6))
    receipt_commit(merchant=merchant, store=main, customer=boris, number="B1", draft=draft(("A", "1", "300.00"), purchased_at=at(7)), now=at(7))
    receipt_commit(merchant=merchant, store=main, customer=None, number="X1", draft=draft(("A", "1", "250.00"), purchased_at=at(8)), now=at(8))
    receipt_refund(receipt=second, data={"lines": [{"sku": "A", "quantity": "1"}]}, now=at(9))
    return {"main": main, "other": other, "anna": anna, "boris": boris}


def test_economics_report_figures(merchant, shop):
    report = economics_report(period(merchant, "2026-11-01", "2026-11-30"))
    # Revenue: 1000 + (200 - 100 returned) + 300 + 250 anonymous.
    assert report["revenue"] == "1650.00"
    assert report["receipts"] == 4
    points = report["points"]
    # Welcome 300 (Anna); accrual 10 % of what was paid in money: 100 + 15 (150 paid) + 30.
    assert points["by_kind"] == {"accrual": 145, "welcome": 300}
    assert points["accrued"] == 445
    assert points["redeemed"] == 50
    # The return takes back half of 15 (7, by largest remainder of whole points) and gives back 25 redeemed.
    refund_entries = Entry.objects.filter(merchant=merchant, kind="refund")
    taken = -sum(e.points for e in refund_entries if e.points < 0)
    given = sum(e.points for e in refund_entries if e.points > 0)
    assert points["reversed"] == taken and taken > 0
    assert points["returned"] == given == 25
    assert points["expired"] == 0 and points["donated"] == 0
    net = sum(Entry.objects.filter(merchant=merchant, at__gte=at(1, 0), at__lt=at(1, 0, month=12)).values_list("points", flat=True))
    assert points["net_change"] == net == 445 + 25 - 50 - taken
    # Liability: everything in the ledger at the end of 30 Nov, October's Boris included.
    assert report["liability"] == {"points": sum(Entry.objects.filter(merchant=merchant).values_list("points", flat=True)),
                                   "amount": f"{sum(Entry.objects.filter(merchant=merchant).values_list('points', flat=True))}.00"}
    assert report["redemption_rate"] == "0.1124"  # 50 / 445
    # 100 × (50 × 1.00 + 0 discounts) / 1650
    assert report["effective_discount_percent"] == "3.03"
    assert report["discounts"] == {"tier": "0.00", "promotions": "0.00", "agents": "0.00", "gifts": "0.00"}


def test_economics_report_store_and_liability_over_time(merchant, shop):
    north = economics_report(period(merchant, "2026-11-01", "2026-11-30", store="north"), series=True)
    assert north["revenue"] == "100.00"
    assert north["receipts"] == 1
    assert north["points"]["by_kind"] == {"accrual": 15}
    assert north["points"]["redeemed"] == 50
    series = {item["day"]: item for item in north["series"]}
    assert series["2026-11-06"]["accrued"] == 15 and series["2026-11-06"]["redeemed"] == 50
    full = economics_report(period(merchant, "2026-11-01", "2026-11-30"), series=True)
    # The liability line is program-wide and ends at the report's liability.
    assert full["series"][-1]["liability"] == full["liability"]["points"] == north["liability"]["points"]
    before = economics_report(period(merchant, "2026-10-01", "2026-10-31"))
    assert before["liability"]["points"] == 300 + 50  # Boris: welcome and 10 % of 500


def test_economics_expiry_adjustments_and_discounts(merchant, shop):
    Tier.objects.filter(merchant=merchant, code="base").update(discount_percent=Decimal("5"))
    main = shop["main"]
    receipt_commit(merchant=merchant, store=main, customer=shop["anna"], number="T1", draft=draft(("A", "1", "1000.00"), purchased_at=at(20)),
                   now=at(20))
    promotion_create(merchant=merchant, data={"code": "a-off", "name": "A off", "target": {"skus": ["A"]},
                                              "effects": [{"type": "amount_off", "value": "10"}]})
    receipt_commit(merchant=merchant, store=main, customer=None, number="P1", draft=draft(("A", "1", "100.00"), purchased_at=at(21)), now=at(21))
    points_adjust(customer=shop["boris"], points=-20, reason="typo", staff=None, now=at(22))
    program_set(merchant, points_ttl_days=1)
    report = economics_report(period(merchant, "2026-11-20", "2026-11-22"))
    assert report["discounts"]["tier"] == "50.00"
    assert report["discounts"]["promotions"] == "10.00"
    assert report["points"]["other_debits"] == {"adjustment": 20}
    promo = promotions_report(period(merchant, "2026-11-01", "2026-11-30"))
    assert promo["promotions"] == [{"code": "a-off", "name": "A off", "receipts": 1, "customers": 0, "discount": "10.00", "points": 0,
                                    "revenue": "90.00"}]


def test_expired_points_count_on_the_day_their_lot_expired(merchant, shop):
    program_set(merchant, points_ttl_days=2)
    main = shop["main"]
    receipt_commit(merchant=merchant, store=main, customer=shop["boris"], number="E1", draft=draft(("A", "1", "100.00"), purchased_at=at(24)),
                   now=at(24))
    points_expire(now=at(28))
    report = economics_report(period(merchant, "2026-11-26", "2026-11-26"))
    assert report["points"]["expired"] == 10
    assert economics_report(period(merchant, "2026-11-26", "2026-11-26", store="main"))["points"]["expired"] == 10


def test_customers_report_figures(merchant, shop):
    report = customers_report(period(merchant, "2026-11-01", "2026-11-30"))
    assert report["members"] == 2
    assert report["new_members"] == 1
    assert report["buyers"] == 2
    assert report["repeat_buyers"] == 1
    assert report["repeat_rate"] == "0.5000"
    assert report["purchases"] == 3
    assert report["frequency"] == "1.5000"
    # October's only buyer, Boris, bought again in November.
    assert report["previous_buyers"] == 1 and report["returning_buyers"] == 1
    assert report["crr"] == "1.0000"
    # Members: 1000 + 100 + 300 over 3 receipts; anonymous 250 over 1.
    assert report["average_check"] == {"members": "466.67", "anonymous": "250.00"}
    # Members' revenue to the end of November (500 in October too) over 2 members.
    assert report["clv"] == "950.00"
    north = customers_report(period(merchant, "2026-11-01", "2026-11-30", store="north"))
    assert north["buyers"] == 1 and north["members"] == 0 and north["purchases"] == 1


def test_cohorts_report(merchant, shop):
    report = cohorts_report(period(merchant, "2026-10-01", "2026-11-30"))
    assert report["cohorts"] == [
        {"month": "2026-10", "members": 1, "retention": [{"month": "2026-10", "offset": 0, "buyers": 1, "share": "1.0000"},
                                                         {"month": "2026-11", "offset": 1, "buyers": 1, "share": "1.0000"}]},
        {"month": "2026-11", "members": 1, "retention": [{"month": "2026-11", "offset": 0, "buyers": 1, "share": "1.0000"}]},
    ]


def test_an_empty_period_reads_zero(merchant):
    report = economics_report(period(merchant, "2026-01-01", "2026-01-31"))
    assert report["revenue"] == "0.00" and report["redemption_rate"] == "0.0000" and report["effective_discount_percent"] == "0.00"
    customers = customers_report(period(merchant, "2026-01-01", "2026-01-31"))
    assert customers["crr"] == "0.0000" and customers["average_check"] == {"members": "0.00", "anonymous": "0.00"}


def test_period_defaults_to_the_last_30_days(merchant):
    parsed = period_parse(merchant=merchant, params={}, now=at(30, 23))
    assert (parsed.first.isoformat(), parsed.last.isoformat()) == ("2026-11-01", "2026-11-30")
    assert parsed.previous().first == parsed.first - timedelta(days=30)

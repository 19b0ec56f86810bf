"""The pure checkout pipeline: calculate(draft, context) with no database."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from accounts.errors import ApplicationError
from loyalty.checkout import CheckoutContext, Draft, DraftLine, ProgramRules, calculate

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


def ctx(*, points=300, debt=0, accrual="5.00", cap="100.00", point_value="1.00", has_customer=True, currency="RUB") -> CheckoutContext:
    return CheckoutContext(
        currency=currency,
        language="en",
        program=ProgramRules(accrual_percent=Decimal(accrual), max_redeem_percent=Decimal(cap), point_value=Decimal(point_value)),
        has_customer=has_customer,
        spendable_points=points - debt,
        debt=debt,
    )


def draft(*lines, redeem=0) -> Draft:
    return Draft(
        lines=tuple(DraftLine(sku=sku, quantity=Decimal(q), price=Decimal(p)) for sku, q, p in lines),
        purchased_at=NOW,
        redeem_points=redeem,
    )


def assert_lines_add_up(calc) -> None:
    assert sum(line.amount for line in calc.lines) == calc.subtotal
    assert sum(line.discount for line in calc.lines) == calc.discount
    assert sum(line.redeemed_points for line in calc.lines) == calc.redeemed_points
    assert sum(line.redeemed_amount for line in calc.lines) == calc.redeemed_amount
    assert sum(line.total for line in calc.lines) == calc.total
    assert sum(line.accrued_points for line in calc.lines) == calc.accrued_points
    assert calc.total == calc.subtotal - calc.discount - calc.redeemed_amount
    redemption = [item for item in calc.applied if item["kind"] == "redemption"]
    assert sum(item["points"] for item in redemption) == calc.redeemed_points
    assert sum(Decimal(item["amount"]) for item in redemption) == calc.redeemed_amount
    assert sum(item["points"] for item in calc.applied if item["kind"] == "accrual") == calc.accrued_points


def test_the_api_example_two_milks_redeeming_100_points():
    # given a customer with 300 points and the default program (5%, cap 100%, 1 point = 1.00)
    # when 2 × 89.90 is priced with 100 points redeemed
    calc = calculate(draft(("MILK-1", "2", "89.90"), redeem=100), ctx(points=300))

    # then 79.80 is paid in money and 5% of it, rounded down, is accrued
    assert calc.subtotal == Decimal("179.80")
    assert calc.discount == Decimal("0")
    assert calc.redeemed_points == 100
    assert calc.redeemed_amount == Decimal("100.00")
    assert calc.total == Decimal("79.80")
    assert calc.accrued_points == 3
    assert calc.max_redeem_points == 179
    line = calc.lines[0]
    assert (line.amount, line.redeemed_points, line.redeemed_amount, line.total, line.accrued_points) == (
        Decimal("179.80"), 100, Decimal("100.00"), Decimal("79.80"), 3,
    )
    assert calc.as_dict()["applied"] == [
        {"kind": "redemption", "name": "Points redeemed", "detail": "100 points at 1.00 each", "points": 100, "amount": "100.00"},
        {"kind": "accrual", "name": "Base accrual 5%", "detail": "5% of 79.80 paid in money, rounded down", "points": 3},
    ]
    assert_lines_add_up(calc)


def test_the_api_shape_has_money_as_strings_at_currency_precision():
    body = calculate(draft(("MILK-1", "2", "89.9"), redeem=100), ctx()).as_dict()

    assert body["subtotal"] == "179.80"
    assert body["discount"] == "0.00"
    assert body["redeemed_amount"] == "100.00"
    assert body["total"] == "79.80"
    assert body["lines"][0]["amount"] == "179.80"
    assert body["lines"][0]["quantity"] == "2"


def test_max_redeems_the_most_the_receipt_and_balance_allow():
    # given 300 points and a receipt of 179.80
    calc = calculate(draft(("MILK-1", "2", "89.90"), redeem="max"), ctx(points=300))

    # then the whole points that fit are redeemed; the 0.80 left accrues nothing
    assert calc.max_redeem_points == 179
    assert calc.redeemed_points == 179
    assert calc.redeemed_amount == Decimal("179.00")
    assert calc.total == Decimal("0.80")
    assert calc.accrued_points == 0
    assert_lines_add_up(calc)


def test_max_is_limited_by_the_balance():
    calc = calculate(draft(("TV", "1", "1000.00"), redeem="max"), ctx(points=120))

    assert calc.redeemed_points == 120
    assert calc.total == Decimal("880.00")
    assert calc.accrued_points == 44


def test_max_with_no_points_redeems_nothing():
    calc = calculate(draft(("TV", "1", "1000.00"), redeem="max"), ctx(points=0))

    assert calc.max_redeem_points == 0
    assert calc.redeemed_points == 0
    assert calc.total == Decimal("1000.00")
    assert calc.accrued_points == 50
    assert [item["kind"] for item in calc.applied] == ["accrual"]


def test_asking_for_more_than_the_balance_is_insufficient_points():
    with pytest.raises(ApplicationError) as error:
        calculate(draft(("MILK-1", "2", "89.90"), redeem=301), ctx(points=300))

    assert error.value.code == "insufficient_points"
    assert error.value.status == 422


def test_within_the_balance_but_over_the_cap_is_redeem_over_cap():
    # given a 50% cap: at most 89 points on 179.80
    with pytest.raises(ApplicationError) as error:
        calculate(draft(("MILK-1", "2", "89.90"), redeem=100), ctx(points=300, cap="50.00"))

    assert error.value.code == "redeem_over_cap"
    assert error.value.status == 422
    assert calculate(draft(("MILK-1", "2", "89.90"), redeem="max"), ctx(points=300, cap="50.00")).redeemed_points == 89


def test_the_cap_never_lets_points_pay_more_than_the_receipt():
    with pytest.raises(ApplicationError) as error:
        calculate(draft(("GUM", "1", "10.00"), redeem=11), ctx(points=300))

    assert error.value.code == "redeem_over_cap"


def test_three_lines_of_33_33_with_an_odd_redemption_add_up_exactly():
    # given three equal lines and 7 points redeemed
    calc = calculate(draft(("A", "1", "33.33"), ("B", "1", "33.33"), ("C", "1", "33.33"), redeem=7), ctx())

    # then whole points per line by largest remainder, no cent or point lost
    assert calc.subtotal == Decimal("99.99")
    assert [line.redeemed_points for line in calc.lines] == [3, 2, 2]
    assert [line.redeemed_amount for line in calc.lines] == [Decimal("3.00"), Decimal("2.00"), Decimal("2.00")]
    assert [line.total for line in calc.lines] == [Decimal("30.33"), Decimal("31.33"), Decimal("31.33")]
    assert calc.total == Decimal("92.99")
    # 5% of 92.99 = 4.6495 → 4 points; line shares 1.5165, 1.5665, 1.5665
    assert calc.accrued_points == 4
    assert [line.accrued_points for line in calc.lines] == [1, 2, 1]
    assert_lines_add_up(calc)


def test_accrual_is_rounded_down_once_for_the_receipt_not_per_line():
    # given ten lines each earning 0.5 points
    calc = calculate(draft(*[(f"S{i}", "1", "10.00") for i in range(10)]), ctx())

    assert calc.accrued_points == 5
    assert sorted(line.accrued_points for line in calc.lines) == [0] * 5 + [1] * 5
    assert_lines_add_up(calc)


def test_fractional_quantities_are_priced_at_currency_precision():
    calc = calculate(draft(("CHEESE", "0.350", "899.99")), ctx())

    # 0.350 × 899.99 = 314.9965 → 315.00
    assert calc.subtotal == Decimal("315.00")
    assert calc.total == Decimal("315.00")
    assert calc.accrued_points == 15


def test_point_value_changes_what_a_point_pays():
    # given 1 point = 0.50
    calc = calculate(draft(("MILK-1", "2", "89.90"), redeem="max"), ctx(points=1000, point_value="0.50"))

    # then 179.80 takes 359 points (179.50) at most
    assert calc.max_redeem_points == 359
    assert calc.redeemed_amount == Decimal("179.50")
    assert calc.total == Decimal("0.30")
    assert calc.accrued_points == 0
    assert_lines_add_up(calc)


def test_point_value_also_divides_accrual():
    # 5% of 100.00 = 5.00 of value = 10 points at 0.50 each
    assert calculate(draft(("X", "1", "100.00")), ctx(point_value="0.50")).accrued_points == 10


def test_no_line_is_paid_with_more_points_than_it_costs():
    calc = calculate(draft(("BIG", "1", "100.00"), ("SMALL", "1", "0.50"), redeem="max"), ctx(points=1000))

    assert calc.max_redeem_points == 100
    assert [line.redeemed_points for line in calc.lines] == [100, 0]
    assert [line.total for line in calc.lines] == [Decimal("0.00"), Decimal("0.50")]
    assert_lines_add_up(calc)


def test_a_free_line_takes_no_points_and_earns_none():
    calc = calculate(draft(("GIFT", "1", "0.00"), ("TEA", "1", "50.00"), redeem=10), ctx())

    assert [line.redeemed_points for line in calc.lines] == [0, 10]
    assert [line.accrued_points for line in calc.lines] == [0, 2]
    assert calc.total == Decimal("40.00")


def test_refund_debt_blocks_redemption():
    # given a customer who owes 10 points from a return
    context = ctx(points=0, debt=10)

    # then nothing may be redeemed, and asking is insufficient_points
    assert calculate(draft(("X", "1", "100.00")), context).max_redeem_points == 0
    with pytest.raises(ApplicationError) as error:
        calculate(draft(("X", "1", "100.00"), redeem=1), context)
    assert error.value.code == "insufficient_points"


def test_an_anonymous_sale_accrues_nothing_and_cannot_redeem():
    context = ctx(has_customer=False, points=0)

    calc = calculate(draft(("X", "1", "100.00")), context)
    assert calc.accrued_points == 0
    assert calc.total == Decimal("100.00")
    with pytest.raises(ApplicationError) as error:
        calculate(draft(("X", "1", "100.00"), redeem=1), context)
    assert error.value.code == "customer_required"


def test_zero_accrual_rate_earns_nothing():
    calc = calculate(draft(("X", "1", "100.00")), ctx(accrual="0.00"))

    assert calc.accrued_points == 0
    assert calc.applied == []


def test_currency_without_minor_units():
    calc = calculate(draft(("RAMEN", "3", "333"), redeem=100), ctx(currency="JPY", point_value="1.00"))

    assert calc.as_dict()["subtotal"] == "999"
    assert calc.as_dict()["total"] == "899"
    assert calc.accrued_points == 44


def test_calculate_is_pure_and_repeatable():
    the_draft = draft(("A", "1", "33.33"), ("B", "2", "12.34"), redeem=17)
    context = ctx()

    assert calculate(the_draft, context).as_dict() == calculate(the_draft, context).as_dict()


def test_a_calculation_without_texts_gives_the_same_figures_and_leaves_names_empty():
    from dataclasses import replace

    from loyalty.checkout import explained

    priced = calculate(draft(("MILK-1", "2", "89.90"), ("BREAD", "1", "54.50"), redeem=100), ctx(points=300))
    quiet = calculate(draft(("MILK-1", "2", "89.90"), ("BREAD", "1", "54.50"), redeem=100), replace(ctx(points=300), render_texts=False))
    strip = lambda shape: {**shape, "applied": [{k: v for k, v in item.items() if k not in ("name", "detail")} for item in shape["applied"]]}  # noqa: E731
    assert strip(quiet.as_dict()) == strip(priced.as_dict())
    assert all(item["name"] == "" and item["detail"] == "" for item in quiet.applied)
    # The messages stay, so a screen could still render them; and texts render again afterwards.
    assert [item["text"] for item in quiet.applied] == [item["text"] for item in priced.applied]
    assert explained({"kind": "accrual", "points": 1}, name={"code": "applied.redemption.name", "params": {}}, detail=[])["name"] == "Points redeemed"

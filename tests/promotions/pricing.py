"""Pricing helpers for the promotion tests: a context with promotions and the pipeline with them."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from loyalty.checkout import (
    CheckoutContext,
    Draft,
    DraftLine,
    ProgramRules,
    TierRules,
    calculate,
    step_accrual,
    step_price_lines,
    step_receipt_limit,
    step_redemption,
    step_tier,
    step_totals_before_redemption,
)
from promotions.pipeline import step_promotion_points, step_promotions
from promotions.specs import PromotionsState, spec_from_dict

# loyalty's own steps with the promotion steps at their places: after_tier and after_accrual.
PIPELINE = [
    step_price_lines,
    step_receipt_limit,
    step_tier,
    step_promotions,
    step_totals_before_redemption,
    step_redemption,
    step_accrual,
    step_promotion_points,
]

# Friday 27 November 2026, 19:00 in Moscow (UTC+3).
FRIDAY_EVENING = datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)


def promo(code: str, effects: list[dict], **fields):
    """A spec from the API's JSON shape, defaults as the API gives them."""
    return spec_from_dict({"code": code, "name": fields.pop("name", code), "effects": effects, **fields})


def line(sku: str, quantity: str, price: str, category: str = "", name: str = "") -> DraftLine:
    return DraftLine(sku=sku, quantity=Decimal(quantity), price=Decimal(price), category=category, name=name or sku)


def context(
    *promotions,
    points: int = 0,
    customer: str | None = "c-1",
    tier: TierRules | None = None,
    accrual: str = "5.00",
    cap: str = "100.00",
    at: datetime = FRIDAY_EVENING,
    language: str = "en",
    **state,
) -> CheckoutContext:
    return CheckoutContext(
        currency="RUB",
        language=language,
        program=ProgramRules(accrual_percent=Decimal(accrual), max_redeem_percent=Decimal(cap), point_value=Decimal("1.00")),
        has_customer=customer is not None,
        spendable_points=points,
        tier=tier,
        extras={
            "promotions": PromotionsState(
                promotions=tuple(promotions),
                purchased_at=at,
                timezone=state.pop("timezone", "Europe/Moscow"),
                customer=customer,
                tier=tier.code if tier else state.pop("tier_code", None),
                **state,
            )
        },
    )


def price(ctx: CheckoutContext, *lines: DraftLine, redeem: int | str = 0, at: datetime = FRIDAY_EVENING):
    return calculate(Draft(lines=tuple(lines), purchased_at=at, redeem_points=redeem), ctx, steps=PIPELINE)


def entries(calc, kind: str) -> list[dict]:
    return [item for item in calc.as_dict()["applied"] if item["kind"] == kind]


def assert_reconciles(calc) -> None:
    """Lines add up to the totals, and `applied` reconciles exactly with them."""
    assert sum(line.amount for line in calc.lines) == calc.subtotal
    assert sum(line.discount for line in calc.lines) == calc.discount
    assert sum(line.redeemed_points for line in calc.lines) == calc.redeemed_points
    assert sum(line.redeemed_amount for line in calc.lines) == calc.redeemed_amount
    assert sum(line.total for line in calc.lines) == calc.total
    assert sum(line.accrued_points for line in calc.lines) == calc.accrued_points
    assert calc.total == calc.subtotal - calc.discount - calc.redeemed_amount
    for line in calc.lines:
        assert Decimal("0") <= line.discount <= line.amount
        assert line.total >= 0
        assert line.accrued_points >= 0
    money_off = sum(
        (Decimal(item["amount"]) for item in calc.applied if item["kind"] in ("tier_discount", "promotion", "gift")),
        Decimal("0"),
    )
    assert money_off == calc.discount
    points = sum(item.get("points", 0) for item in calc.applied if item["kind"] in ("accrual", "promotion"))
    assert points == calc.accrued_points

"""Specs parsed from the API's promotion JSON, field by field."""
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from promotions.specs import (
    AmountOff,
    Audience,
    Conditions,
    EveryNth,
    ExtraPoints,
    ExtraPointsPercent,
    FixedPrice,
    Limits,
    PercentOff,
    PointsMultiplier,
    PromotionSpec,
    Target,
    Unlock,
    WeeklyWindow,
    spec_from_dict,
)

D = Decimal

# The API's example promotion, with every field as the read shape carries it.
MILK_YELLOW = {
    "code": "milk-yellow", "name": "Milk -25%", "description": "", "active": True, "priority": 0, "exclusive": False,
    "starts_at": None, "ends_at": None, "weekly": [],
    "audience": {"tiers": [], "segments": [], "customers": [], "offer_only": False},
    "conditions": {"min_subtotal": None, "skus": [], "categories": [], "min_quantity": None, "previous_purchase_min": None,
                   "first_purchase": False, "every_nth": None, "code_required": False},
    "target": {"skus": [], "categories": []},
    "effects": [{"type": "percent_off", "value": "25"}],
    "block_accrual": False, "block_redemption": False,
    "limits": {"per_customer": None, "total_uses": None, "budget_amount": None, "budget_points": None},
    "uses": 0, "spent_amount": "0.00", "spent_points": 0,
}


def test_the_api_example_parses_to_its_spec_with_the_api_defaults():
    assert spec_from_dict(MILK_YELLOW) == PromotionSpec(code="milk-yellow", name="Milk -25%", effects=(PercentOff(value=D("25")),))


def test_only_code_name_and_effects_are_needed():
    assert spec_from_dict({"code": "x", "name": "X", "effects": [{"type": "extra_points", "value": 100}]}) == PromotionSpec(
        code="x", name="X", effects=(ExtraPoints(value=100),),
    )


def test_every_field_is_parsed_and_the_limits_hold_what_remains():
    data = {
        **MILK_YELLOW,
        "priority": 5, "exclusive": True, "active": True,
        "starts_at": "2027-01-01T09:00:00+03:00", "ends_at": "2027-01-03T22:00:00Z",
        "weekly": [{"days": [5], "from": "18:00", "to": "20:00"}, {"days": [6, 7], "from": "00:00", "to": "24:00"}],
        "audience": {"tiers": ["gold"], "segments": ["vip"], "customers": ["c-1"], "offer_only": True},
        "conditions": {"min_subtotal": "1000.00", "skus": ["A"], "categories": ["pet"], "min_quantity": "2",
                       "previous_purchase_min": "3000", "first_purchase": True, "every_nth": {"n": 5, "days": 30}, "code_required": True},
        "target": {"skus": ["MILK-1"], "categories": ["dairy"]},
        "effects": [
            {"type": "percent_off", "value": "25"}, {"type": "amount_off", "value": "100.00"}, {"type": "fixed_price", "value": "99.90"},
            {"type": "points_multiplier", "value": "2"}, {"type": "extra_points_percent", "value": "2"}, {"type": "extra_points", "value": 50},
            {"type": "unlock", "promotion": "plants-20", "days": 14, "uses": 2},
        ],
        "block_accrual": True, "block_redemption": True,
        "limits": {"per_customer": 3, "total_uses": 1000, "budget_amount": "50000.00", "budget_points": 10000},
        "uses": 998, "spent_amount": "49990.50", "spent_points": 10500,
    }

    spec = spec_from_dict(data, customer_uses=1)

    assert spec == PromotionSpec(
        code="milk-yellow", name="Milk -25%", priority=5, exclusive=True,
        starts_at=datetime(2027, 1, 1, 6, 0, tzinfo=timezone.utc), ends_at=datetime(2027, 1, 3, 22, 0, tzinfo=timezone.utc),
        weekly=(WeeklyWindow(days=(5,), from_=18 * 60, to=20 * 60), WeeklyWindow(days=(6, 7), from_=0, to=24 * 60)),
        audience=Audience(tiers=("gold",), segments=("vip",), customers=("c-1",), offer_only=True),
        conditions=Conditions(
            min_subtotal=D("1000.00"), skus=("A",), categories=("pet",), min_quantity=D("2"), previous_purchase_min=D("3000"),
            first_purchase=True, every_nth=EveryNth(n=5, days=30), code_required=True,
        ),
        target=Target(skus=("MILK-1",), categories=("dairy",)),
        effects=(
            PercentOff(D("25")), AmountOff(D("100.00")), FixedPrice(D("99.90")), PointsMultiplier(D("2")),
            ExtraPointsPercent(D("2")), ExtraPoints(50), Unlock(promotion="plants-20", days=14, uses=2),
        ),
        block_accrual=True, block_redemption=True,
        limits=Limits(
            per_customer=3, total_uses=1000, budget_amount=D("50000.00"), budget_points=10000,
            per_customer_left=2, total_uses_left=2, budget_amount_left=D("9.50"), budget_points_left=0,
        ),
    )
    assert [effect.type for effect in spec.effects] == [
        "percent_off", "amount_off", "fixed_price", "points_multiplier", "extra_points_percent", "extra_points", "unlock",
    ]


@pytest.mark.parametrize(("window", "weekday", "minute", "holds"), [
    (WeeklyWindow(days=(5,), from_=1080, to=1200), 5, 1080, True),
    (WeeklyWindow(days=(5,), from_=1080, to=1200), 5, 1199, True),
    (WeeklyWindow(days=(5,), from_=1080, to=1200), 5, 1200, False),
    (WeeklyWindow(days=(5,), from_=1080, to=1200), 4, 1100, False),
])
def test_a_weekly_window_is_from_inclusive_to_exclusive(window, weekday, minute, holds):
    assert window.holds(weekday, minute) is holds


def test_a_target_with_nothing_listed_is_every_line():
    assert Target().matches("ANY", "")
    assert Target(categories=("pet",)).matches("FOOD", "pet")
    assert not Target(categories=("pet",)).matches("FOOD", "")
    assert Target(skus=("FOOD",)).matches("FOOD", "dairy")

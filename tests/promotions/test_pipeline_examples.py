"""Each worked example of the API's Promotions section, priced by the pure pipeline."""
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from loyalty.checkout import TierRules
from loyalty.texts import applied_render
from promotions.pipeline import CodeRejection, GiftUse, OfferGrant, PromotionUse
from promotions.specs import CodeLookup, Gift, Offer
from tests.promotions.pricing import FRIDAY_EVENING, assert_reconciles, context, entries, line, price, promo

D = Decimal

MILK_YELLOW = promo(
    "milk-yellow", [{"type": "percent_off", "value": "25"}], name="Milk -25%",
    target={"skus": ["MILK-1"], "categories": []}, block_accrual=True, block_redemption=True,
)


# ---------------------------------------------------------------- the yellow price tag


def test_milk_yellow_price_tag_is_25_percent_off_and_earns_and_spends_no_points():
    # given the yellow price tag on milk and a customer with 500 points
    ctx = context(MILK_YELLOW, points=500)

    # when two milks and a bread are rung up, asking for as many points as allowed
    calc = price(ctx, line("MILK-1", "2", "89.90"), line("BREAD", "1", "50.00"), redeem="max")

    # then milk is 25 % off (44.95), and only the bread may be paid with points and earns
    milk, bread = calc.lines
    assert milk.discount == D("44.95")
    assert (milk.redeemed_points, milk.accrued_points) == (0, 0)
    assert calc.max_redeem_points == 50
    assert bread.redeemed_points == 50
    assert calc.accrued_points == 0  # the bread was paid in points in full
    assert entries(calc, "promotion") == [{
        "kind": "promotion", "name": "Milk -25%",
        "detail": "25% off · no points earned on these items · these items cannot be paid with points",
        "promotion": "milk-yellow", "amount": "44.95", "points": 0,
    }]
    assert_reconciles(calc)


def test_milk_yellow_without_redemption_the_bread_alone_earns():
    calc = price(context(MILK_YELLOW), line("MILK-1", "2", "89.90"), line("BREAD", "1", "50.00"))

    assert calc.discount == D("44.95")
    assert calc.total == D("184.85")
    assert [item.accrued_points for item in calc.lines] == [0, 2]  # 5 % of 50.00
    assert calc.outcomes["promotions"].uses == [PromotionUse(promotion="milk-yellow", amount=D("44.95"), points=0)]
    assert_reconciles(calc)


def test_the_yellow_price_tag_discounts_an_anonymous_sale_too():
    calc = price(context(MILK_YELLOW, customer=None), line("MILK-1", "2", "89.90"))

    assert calc.discount == D("44.95")
    assert calc.total == D("134.85")
    assert_reconciles(calc)


def test_the_explanation_is_in_the_readers_language():
    calc = price(context(MILK_YELLOW), line("MILK-1", "2", "89.90"))

    [entry] = [item for item in applied_render(calc.applied, language="ru") if item["kind"] == "promotion"]
    assert entry["name"] == "Milk -25%"
    assert entry["detail"].startswith("скидка 25%")


# ---------------------------------------------------------------- double points on Friday evenings


FRIDAY_DOUBLE = promo(
    "friday-x2", [{"type": "points_multiplier", "value": "2"}], name="Double points on Friday evening",
    weekly=[{"days": [5], "from": "18:00", "to": "20:00"}],
)


def test_double_points_on_friday_evening_in_the_merchants_timezone():
    # Friday 19:00 in Moscow is 16:00 UTC
    calc = price(context(FRIDAY_DOUBLE), line("TV", "1", "1000.00"))

    assert calc.accrued_points == 100
    assert entries(calc, "promotion") == [{
        "kind": "promotion", "name": "Double points on Friday evening", "detail": "points ×2",
        "promotion": "friday-x2", "amount": "0.00", "points": 50,
    }]
    assert entries(calc, "accrual") == [
        {"kind": "accrual", "name": "Base accrual 5%", "detail": "5% of 1000.00 paid in money, rounded down", "points": 50},
    ]
    assert_reconciles(calc)


@pytest.mark.parametrize("at", [
    datetime(2026, 11, 27, 17, 0, tzinfo=timezone.utc),   # 20:00 in Moscow: `to` is exclusive
    datetime(2026, 11, 27, 14, 59, tzinfo=timezone.utc),  # 17:59 in Moscow
    datetime(2026, 11, 28, 16, 0, tzinfo=timezone.utc),   # Saturday 19:00
    datetime(2026, 11, 27, 19, 0, tzinfo=timezone.utc),   # 19:00 UTC is 22:00 in Moscow
])
def test_outside_the_window_the_base_rate_holds(at):
    calc = price(context(FRIDAY_DOUBLE, at=at), line("TV", "1", "1000.00"), at=at)

    assert calc.accrued_points == 50
    assert entries(calc, "promotion") == []
    assert calc.as_dict()["not_applied"] == [{
        "promotion": "friday-x2", "name": "Double points on Friday evening", "reason": "schedule",
        "detail": "Not running at the time of purchase",
    }]


def test_an_offline_receipt_is_judged_at_its_purchased_at_not_when_it_arrives():
    # sent on Saturday for Friday 18:00 Moscow: `from` is inclusive
    at = datetime(2026, 11, 27, 15, 0, tzinfo=timezone.utc)
    calc = price(context(FRIDAY_DOUBLE, at=at), line("TV", "1", "1000.00"), at=at)

    assert calc.accrued_points == 100


def test_a_fixed_interval_starts_inclusive_and_ends_exclusive():
    spec = promo("jan", [{"type": "percent_off", "value": "10"}], starts_at="2027-01-01T09:00:00+03:00", ends_at="2027-01-03T22:00:00+03:00")
    start = datetime(2027, 1, 1, 6, 0, tzinfo=timezone.utc)
    end = datetime(2027, 1, 3, 19, 0, tzinfo=timezone.utc)

    assert price(context(spec, at=start), line("A", "1", "100.00"), at=start).discount == D("10.00")
    assert price(context(spec, at=end - timedelta(seconds=1)), line("A", "1", "100.00")).discount == D("10.00")
    assert price(context(spec, at=end), line("A", "1", "100.00"), at=end).discount == D("0")
    before = start - timedelta(seconds=1)
    assert price(context(spec, at=before), line("A", "1", "100.00"), at=before).discount == D("0")


def test_an_inactive_promotion_is_not_priced():
    spec = promo("off", [{"type": "percent_off", "value": "10"}], active=False)

    assert price(context(spec), line("A", "1", "100.00")).discount == D("0")


# ---------------------------------------------------------------- audiences


GOLD = TierRules(code="gold", name="Gold", accrual_percent=D("7.00"), max_redeem_percent=None, discount_percent=D("0"))
SILVER = TierRules(code="silver", name="Silver", accrual_percent=None, max_redeem_percent=None, discount_percent=D("0"))
GOLD_ONLY = promo("gold-10", [{"type": "percent_off", "value": "10"}], name="Gold: 10% off", audience={"tiers": ["gold"]})


def test_a_gold_only_offer_applies_to_gold():
    calc = price(context(GOLD_ONLY, tier=GOLD), line("A", "1", "200.00"))

    assert calc.discount == D("20.00")
    assert calc.accrued_points == 12  # 7 % of 180.00 = 12.6, rounded down
    assert_reconciles(calc)


@pytest.mark.parametrize(("tier", "customer", "detail"), [
    (SILVER, "c-1", "The customer is not in its audience"),
    (None, None, "Needs an identified customer"),
])
def test_a_gold_only_offer_is_refused_to_others(tier, customer, detail):
    calc = price(context(GOLD_ONLY, tier=tier, customer=customer), line("A", "1", "200.00"))

    assert calc.discount == D("0")
    assert calc.as_dict()["not_applied"] == [{"promotion": "gold-10", "name": "Gold: 10% off", "reason": "audience", "detail": detail}]


def test_segments_and_listed_customers():
    closed_sale = promo("club", [{"type": "percent_off", "value": "30"}], audience={"segments": ["vip"], "customers": ["c-1", "c-2"]})

    assert price(context(closed_sale, segments=frozenset({"vip"})), line("A", "1", "100.00")).discount == D("30.00")
    assert price(context(closed_sale, segments=frozenset({"new"})), line("A", "1", "100.00")).discount == D("0")
    assert price(context(closed_sale, customer="c-9", segments=frozenset({"vip"})), line("A", "1", "100.00")).discount == D("0")


# ---------------------------------------------------------------- conditions


def test_conditions_receipt_total_products_and_quantity():
    spec = promo(
        "pack", [{"type": "amount_off", "value": "100"}],
        conditions={"min_subtotal": "500", "categories": ["pet"], "min_quantity": "3"},
    )
    enough = price(context(spec), line("FOOD", "3", "150.00", category="pet"), line("TOY", "1", "100.00"))
    too_few = price(context(spec), line("FOOD", "2", "150.00", category="pet"), line("TOY", "1", "300.00"))
    too_small = price(context(spec), line("FOOD", "3", "100.00", category="pet"))

    assert enough.discount == D("100.00")
    assert too_few.discount == too_small.discount == D("0")
    assert too_few.as_dict()["not_applied"][0]["reason"] == "conditions"


def test_previous_purchase_and_first_purchase():
    after_big = promo("after-3000", [{"type": "percent_off", "value": "10"}], conditions={"previous_purchase_min": "3000"})
    first = promo("first", [{"type": "extra_points", "value": 100}], conditions={"first_purchase": True})

    assert price(context(after_big, previous_purchase=D("3000.00")), line("A", "1", "100.00")).discount == D("10.00")
    assert price(context(after_big, previous_purchase=D("2999.99")), line("A", "1", "100.00")).discount == D("0")
    assert price(context(after_big), line("A", "1", "100.00")).discount == D("0")
    assert price(context(first, first_purchase=True), line("A", "1", "100.00")).accrued_points == 105
    assert price(context(first, first_purchase=False), line("A", "1", "100.00")).accrued_points == 5


# ---------------------------------------------------------------- every 5th purchase


FIFTH = promo("fifth-half", [{"type": "percent_off", "value": "50"}], name="Every 5th purchase half price", conditions={"every_nth": {"n": 5, "days": 30}})


def test_the_fifth_purchase_is_half_price():
    # four stamps counted: this receipt is the fifth
    calc = price(context(FIFTH, stamps={"fifth-half": 4}), line("A", "2", "150.00"))

    assert calc.discount == D("150.00")
    assert calc.outcomes["promotions"].uses == [PromotionUse(promotion="fifth-half", amount=D("150.00"), points=0, stamp=True)]
    assert_reconciles(calc)


@pytest.mark.parametrize("stamps", [0, 3])
def test_purchases_before_the_fifth_are_stamps_only(stamps):
    calc = price(context(FIFTH, stamps={"fifth-half": stamps}), line("A", "2", "150.00"))

    assert calc.discount == D("0")
    assert calc.as_dict()["not_applied"][0]["reason"] == "conditions"


# ---------------------------------------------------------------- unlock and offers


AQUARIUM = promo(
    "aquarium", [{"type": "unlock", "promotion": "plants-20", "days": 14, "uses": 2}], name="Aquarium unlocks plants",
    conditions={"skus": ["AQUARIUM-60"]},
)
PLANTS = promo("plants-20", [{"type": "percent_off", "value": "20"}], name="Plants -20%", audience={"offer_only": True}, target={"categories": ["plants"]})


def test_an_aquarium_unlocks_20_percent_off_plants_for_two_weeks():
    # when the aquarium is bought
    calc = price(context(AQUARIUM, PLANTS), line("AQUARIUM-60", "1", "8000.00"), line("FERN", "1", "300.00", category="plants"))

    # then the plants on the same receipt are not yet discounted, and the commit grants the offer
    assert calc.discount == D("0")
    assert calc.outcomes["promotions"].offers == [OfferGrant(promotion="plants-20", days=14, uses=2, source="aquarium")]
    [entry] = entries(calc, "promotion")
    assert (entry["promotion"], entry["amount"], entry["points"], entry["detail"]) == ("aquarium", "0.00", 0, "unlocks an offer: plants-20")
    assert [item["reason"] for item in calc.as_dict()["not_applied"]] == ["audience"]


def test_the_offer_holder_gets_20_percent_off_plants():
    offer = Offer(promotion="plants-20", uses_left=2, ends_at=FRIDAY_EVENING + timedelta(days=3))
    calc = price(context(PLANTS, offers={"plants-20": offer}), line("FERN", "2", "300.00", category="plants"), line("SAND", "1", "100.00"))

    assert [item.discount for item in calc.lines] == [D("120.00"), D("0")]
    assert calc.outcomes["promotions"].uses == [PromotionUse(promotion="plants-20", amount=D("120.00"), points=0, offer=True)]
    assert_reconciles(calc)


@pytest.mark.parametrize("offer", [
    Offer(promotion="plants-20", uses_left=0, ends_at=None),
    Offer(promotion="plants-20", uses_left=2, ends_at=FRIDAY_EVENING),
])
def test_a_spent_or_ended_offer_gives_nothing(offer):
    calc = price(context(PLANTS, offers={"plants-20": offer}), line("FERN", "2", "300.00", category="plants"))

    assert calc.discount == D("0")


def test_an_anonymous_sale_unlocks_nothing():
    calc = price(context(AQUARIUM, customer=None), line("AQUARIUM-60", "1", "8000.00"))

    assert calc.outcomes["promotions"].offers == []
    assert calc.as_dict()["not_applied"][0]["reason"] == "audience"


# ---------------------------------------------------------------- fixed price and amount off


def test_fixed_price_sets_the_unit_price_of_target_lines():
    spec = promo("coffee-99", [{"type": "fixed_price", "value": "99.00"}], target={"skus": ["COFFEE", "TEA"]})
    calc = price(context(spec), line("COFFEE", "2", "149.00"), line("TEA", "3", "80.00"), line("CAKE", "1", "200.00"))

    # coffee: 2 × 149.00 becomes 2 × 99.00; tea is already cheaper; cake is not a target
    assert [item.discount for item in calc.lines] == [D("100.00"), D("0"), D("0")]
    assert entries(calc, "promotion")[0]["amount"] == "100.00"
    assert_reconciles(calc)


def test_amount_off_is_split_by_largest_remainder_never_above_a_lines_net():
    spec = promo("ten-off", [{"type": "amount_off", "value": "10.00"}])
    calc = price(context(spec), line("A", "1", "10.00"), line("B", "1", "10.00"), line("C", "1", "10.00"))

    assert [item.discount for item in calc.lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert calc.discount == D("10.00")

    capped = price(context(promo("big", [{"type": "amount_off", "value": "500"}])), line("A", "1", "30.00"), line("B", "2", "10.00"))
    assert [item.discount for item in capped.lines] == [D("30.00"), D("20.00")]
    assert capped.total == D("0")
    assert_reconciles(capped)


def test_extra_points_percent_adds_to_the_rate():
    spec = promo("plus2", [{"type": "extra_points_percent", "value": "2"}], name="+2%")
    calc = price(context(spec), line("A", "1", "1000.00"))

    assert calc.accrued_points == 70  # 5 % + 2 = 7 %
    assert entries(calc, "promotion")[0]["points"] == 20
    assert entries(calc, "accrual")[0]["points"] == 50
    assert_reconciles(calc)


def test_points_effects_over_a_tier_rate_count_only_what_they_add():
    spec = promo("x2", [{"type": "points_multiplier", "value": "2"}])
    calc = price(context(spec, tier=GOLD), line("A", "1", "1000.00"))

    assert calc.accrued_points == 140
    assert entries(calc, "promotion")[0]["points"] == 70
    assert entries(calc, "accrual") == [
        {"kind": "accrual", "name": "Gold: 7% instead of 5%", "detail": "7% of 1000.00 paid in money, rounded down", "points": 70},
    ]


# ---------------------------------------------------------------- stacking and exclusivity


def test_promotions_stack_in_priority_order_each_on_what_earlier_ones_left():
    first = promo("b-first", [{"type": "percent_off", "value": "10"}], priority=10)
    then = promo("a-then", [{"type": "amount_off", "value": "50"}], priority=0)
    tier = TierRules(code="silver", name="Silver", accrual_percent=None, max_redeem_percent=None, discount_percent=D("5"))
    calc = price(context(then, first, tier=tier), line("A", "1", "1000.00"))

    # tier 5 % (50.00), then 10 % of 950.00 (95.00), then 50.00 off
    assert calc.discount == D("195.00")
    assert [(item["promotion"], item["amount"]) for item in entries(calc, "promotion")] == [("b-first", "95.00"), ("a-then", "50.00")]
    assert_reconciles(calc)


def test_ties_in_priority_run_by_code():
    calc = price(
        context(promo("b", [{"type": "amount_off", "value": "60"}]), promo("a", [{"type": "percent_off", "value": "50"}])),
        line("A", "1", "100.00"),
    )

    assert [(item["promotion"], item["amount"]) for item in entries(calc, "promotion")] == [("a", "50.00"), ("b", "50.00")]
    assert calc.total == D("0")


def test_an_exclusive_promotion_keeps_its_lines_to_itself():
    exclusive = promo("milk-only", [{"type": "percent_off", "value": "25"}], exclusive=True, target={"skus": ["MILK-1"]})
    everyone = promo("all-10", [{"type": "percent_off", "value": "10"}], priority=100)
    calc = price(context(exclusive, everyone), line("MILK-1", "1", "100.00"), line("BREAD", "1", "100.00"))

    assert [item.discount for item in calc.lines] == [D("25.00"), D("10.00")]
    assert_reconciles(calc)


def test_among_competing_exclusives_the_most_money_off_wins():
    small = promo("small", [{"type": "percent_off", "value": "15"}], exclusive=True, priority=50, name="Small")
    large = promo("large", [{"type": "percent_off", "value": "20"}], exclusive=True, name="Large")
    stacker = promo("stacker", [{"type": "amount_off", "value": "5"}])
    calc = price(context(small, large, stacker), line("A", "1", "100.00"))

    assert calc.discount == D("20.00")
    assert [item["promotion"] for item in entries(calc, "promotion")] == ["large"]
    not_applied = {item["promotion"]: item for item in calc.as_dict()["not_applied"]}
    assert not_applied["small"]["reason"] == not_applied["stacker"]["reason"] == "exclusive"
    assert not_applied["small"]["detail"] == "An exclusive promotion took its items: Large"


def test_equal_money_then_most_points_then_priority():
    money = promo("money", [{"type": "amount_off", "value": "10"}], exclusive=True)
    money_and_points = promo("money-points", [{"type": "amount_off", "value": "10"}, {"type": "extra_points", "value": 5}], exclusive=True)
    calc = price(context(money, money_and_points), line("A", "1", "100.00"))
    assert [item["promotion"] for item in entries(calc, "promotion")] == ["money-points"]

    low = promo("a-low", [{"type": "amount_off", "value": "10"}], exclusive=True, priority=1)
    high = promo("z-high", [{"type": "amount_off", "value": "10"}], exclusive=True, priority=2)
    calc = price(context(low, high), line("A", "1", "100.00"))
    assert [item["promotion"] for item in entries(calc, "promotion")] == ["z-high"]


def test_no_line_goes_below_zero_however_much_stacks():
    specs = [promo(f"p{i}", [{"type": "percent_off", "value": "60"}, {"type": "amount_off", "value": "70"}]) for i in range(4)]
    calc = price(context(*specs), line("A", "1", "100.00"), line("B", "3", "0.99"))

    assert calc.total == D("0")
    assert all(item.discount == item.amount for item in calc.lines)
    assert_reconciles(calc)


# ---------------------------------------------------------------- limits and budgets


def test_a_receipt_that_would_pass_the_budget_gets_only_what_remains():
    spec = promo(
        "milk-budget", [{"type": "percent_off", "value": "25"}],
        limits={"budget_amount": "1000.00", "budget_points": None, "per_customer": None, "total_uses": None}, spent_amount="990.00",
    )
    calc = price(context(spec), line("MILK-1", "2", "89.90"), line("BREAD", "1", "50.00"))

    assert calc.discount == D("10.00")
    [entry] = entries(calc, "promotion")
    assert entry["amount"] == "10.00"
    assert entry["detail"] == "25% off · cut to what remains of its budget"
    assert calc.outcomes["promotions"].uses[0].amount == D("10.00")
    assert_reconciles(calc)


def test_a_points_budget_cuts_the_points_to_what_remains():
    spec = promo("x3", [{"type": "points_multiplier", "value": "3"}], limits={"budget_points": 5000}, spent_points=4980)
    calc = price(context(spec), line("A", "1", "1000.00"))

    # 5 % base (50) + 100 more, cut to the 20 left
    assert calc.accrued_points == 70
    [entry] = entries(calc, "promotion")
    assert entry["points"] == 20
    assert entry["detail"].endswith("cut to what remains of its budget")
    assert_reconciles(calc)


@pytest.mark.parametrize("limits", [
    {"per_customer": 1, "_customer_uses": 1},
    {"total_uses": 100, "_uses": 100},
    {"budget_amount": "500.00", "_spent_amount": "500.00"},
])
def test_a_used_up_limit_is_reported(limits):
    extra = {key[1:]: limits.pop(key) for key in list(limits) if key.startswith("_")}
    customer_uses = extra.pop("customer_uses", 0)
    from promotions.specs import spec_from_dict

    spec = spec_from_dict({"code": "lim", "name": "Limited", "effects": [{"type": "percent_off", "value": "10"}], "limits": limits, **extra}, customer_uses=customer_uses)
    calc = price(context(spec), line("A", "1", "100.00"))

    assert calc.discount == D("0")
    assert calc.as_dict()["not_applied"][0]["reason"] == "limits"


# ---------------------------------------------------------------- promo codes


SPRING = promo("spring", [{"type": "percent_off", "value": "30"}], name="Spring -30%", conditions={"code_required": True, "min_subtotal": "100"})


def test_code_statuses_applied_and_each_rejection_reason():
    codes = (
        CodeLookup(code="SPRING30", promotion="spring"),
        CodeLookup(code="NOPE", status="rejected", reason="promo_code_unknown"),
        CodeLookup(code="OLD1", status="rejected", promotion="spring", reason="promo_code_expired"),
        CodeLookup(code="PET-ABCD2345", status="rejected", promotion="spring", reason="promo_code_used"),
        CodeLookup(code="PET-XYZW6789", status="rejected", promotion="spring", reason="promo_code_not_yours"),
    )
    calc = price(context(SPRING, codes=codes), line("A", "1", "200.00"))

    assert calc.discount == D("60.00")
    assert calc.as_dict()["codes"] == [
        {"code": "SPRING30", "status": "applied", "reason": None, "detail": "Code SPRING30 applied: Spring -30%"},
        {"code": "NOPE", "status": "rejected", "reason": "promo_code_unknown", "detail": "There is no promo code NOPE"},
        {"code": "OLD1", "status": "rejected", "reason": "promo_code_expired", "detail": "The promo code OLD1 has expired"},
        {"code": "PET-ABCD2345", "status": "rejected", "reason": "promo_code_used", "detail": "The promo code PET-ABCD2345 has already been used"},
        {"code": "PET-XYZW6789", "status": "rejected", "reason": "promo_code_not_yours", "detail": "The promo code PET-XYZW6789 belongs to another customer"},
    ]
    outcome = calc.outcomes["promotions"]
    assert outcome.uses == [PromotionUse(promotion="spring", amount=D("60.00"), points=0, codes=("SPRING30",))]
    assert outcome.codes_used == ("SPRING30",)
    assert [rejection.reason for rejection in outcome.rejected] == ["promo_code_unknown", "promo_code_expired", "promo_code_used", "promo_code_not_yours"]


def test_a_valid_code_whose_promotion_does_not_apply_is_not_applicable():
    calc = price(context(SPRING, codes=(CodeLookup(code="spring30", promotion="spring"),)), line("A", "1", "50.00"))

    assert calc.discount == D("0")
    assert calc.as_dict()["codes"] == [{
        "code": "spring30", "status": "rejected", "reason": "promo_code_not_applicable",
        "detail": "The promo code spring30 does not apply to this receipt",
    }]
    assert calc.outcomes["promotions"].rejected == [CodeRejection(code="spring30", reason="promo_code_not_applicable")]


def test_without_its_code_a_code_required_promotion_does_not_apply():
    calc = price(context(SPRING), line("A", "1", "200.00"))

    assert calc.discount == D("0")
    assert calc.as_dict()["not_applied"] == [{"promotion": "spring", "name": "Spring -30%", "reason": "code", "detail": "Needs a promo code"}]
    assert "codes" not in calc.as_dict()


# ---------------------------------------------------------------- material gifts


WHISKAS = Gift(id="g-1", name="5 packs of Whiskas", sku="WHISKAS-85", quantity=D("5"))


def test_a_gift_rings_up_at_zero_and_earns_and_spends_nothing():
    calc = price(context(gifts=(WHISKAS,), points=1000), line("WHISKAS-85", "5", "40.00"), line("BREAD", "1", "50.00"), redeem="max")

    whiskas, bread = calc.lines
    assert (whiskas.discount, whiskas.total, whiskas.redeemed_points, whiskas.accrued_points) == (D("200.00"), D("0"), 0, 0)
    assert calc.max_redeem_points == 50
    assert entries(calc, "gift") == [{"kind": "gift", "name": "Gift: 5 packs of Whiskas", "detail": "5 × WHISKAS-85 free", "amount": "200.00"}]
    assert calc.outcomes["promotions"].gifts == [GiftUse(gift="g-1", amount=D("200.00"))]
    assert_reconciles(calc)


def test_a_gift_covers_up_to_its_quantity_and_the_rest_is_charged():
    calc = price(context(gifts=(WHISKAS,)), line("WHISKAS-85", "7", "40.00"))

    [whiskas] = calc.lines
    assert whiskas.discount == D("200.00")
    assert whiskas.total == D("80.00")
    assert calc.accrued_points == 4  # 5 % of the two packs paid for
    assert_reconciles(calc)


def test_without_the_gifts_sku_the_gift_stays_open():
    calc = price(context(gifts=(WHISKAS,)), line("BREAD", "1", "50.00"))

    assert calc.outcomes["promotions"].gifts == []
    assert entries(calc, "gift") == []


# ---------------------------------------------------------------- the shape without promotions


def test_without_promotions_the_response_is_unchanged():
    from loyalty.checkout import calculate, Draft
    from tests.promotions.pricing import PIPELINE

    plain = context()
    plain_ctx = type(plain)(**{**plain.__dict__, "extras": {}})
    draft = Draft(lines=(line("A", "2", "89.90"),), purchased_at=FRIDAY_EVENING)
    without = calculate(draft, plain_ctx).as_dict()

    assert calculate(draft, plain_ctx, steps=PIPELINE).as_dict() == without
    assert price(plain, line("A", "2", "89.90")).as_dict() == without
    assert set(without) == {"subtotal", "discount", "redeemed_points", "redeemed_amount", "total", "accrued_points", "max_redeem_points", "lines", "applied"}


@pytest.mark.django_db
def test_pricing_promotions_touches_no_database(django_assert_num_queries):
    specs = [MILK_YELLOW, FRIDAY_DOUBLE, GOLD_ONLY, FIFTH, AQUARIUM, PLANTS, SPRING]
    ctx = context(*specs, tier=GOLD, stamps={"fifth-half": 4}, gifts=(WHISKAS,), codes=(CodeLookup(code="SPRING30", promotion="spring"),))
    with django_assert_num_queries(0):
        calc = price(ctx, line("MILK-1", "2", "89.90"), line("WHISKAS-85", "6", "40.00"), line("AQUARIUM-60", "1", "8000.00"))
    assert calc.discount > 0
    assert_reconciles(calc)


SATURDAY = datetime(2026, 11, 28, 16, 0, tzinfo=timezone.utc)


def test_code_statuses_and_reasons_render_in_the_readers_language():
    codes = (CodeLookup(code="NOPE", status="rejected", reason="promo_code_unknown"),)
    calc = price(context(SPRING, FRIDAY_DOUBLE, codes=codes, at=SATURDAY), line("A", "1", "200.00"), at=SATURDAY)

    [code] = applied_render(calc.extras["codes"], language="ru")
    assert code == {"code": "NOPE", "status": "rejected", "reason": "promo_code_unknown", "detail": "Промокода NOPE нет"}
    reasons = {item["promotion"]: item["detail"] for item in applied_render(calc.extras["not_applied"], language="ru")}
    assert reasons == {"friday-x2": "Не действует во время покупки", "spring": "Нужен промокод"}

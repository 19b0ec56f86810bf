"""Stacking and reconciliation as properties: random promotions, gifts and receipts, priced by the
pure pipeline, always add up: lines to totals, `applied` to the discount and the points."""
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loyalty.checkout import TierRules
from promotions.specs import CodeLookup, Gift, Offer
from tests.promotions.pricing import FRIDAY_EVENING, assert_reconciles, context, line, price, promo

SKUS = ["MILK", "BREAD", "FOOD", "TOY", "TV"]
CATEGORIES = ["", "dairy", "pet"]

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("3000"), places=2)
effect = st.one_of(
    st.builds(lambda v: {"type": "percent_off", "value": str(v)}, st.integers(1, 100)),
    st.builds(lambda v: {"type": "amount_off", "value": str(v)}, money),
    st.builds(lambda v: {"type": "fixed_price", "value": str(v)}, money),
    st.builds(lambda v: {"type": "points_multiplier", "value": v}, st.sampled_from(["0", "0.5", "1.5", "2", "3"])),
    st.builds(lambda v: {"type": "extra_points_percent", "value": v}, st.sampled_from(["1", "2.5", "10"])),
    st.builds(lambda v: {"type": "extra_points", "value": v}, st.integers(1, 500)),
    st.just({"type": "unlock", "promotion": "p0", "days": 14, "uses": 2}),
)


@st.composite
def promotion(draw, index: int):
    target_skus = draw(st.lists(st.sampled_from(SKUS), max_size=2, unique=True))
    target_categories = draw(st.lists(st.sampled_from(CATEGORIES[1:]), max_size=1))
    budget_amount = draw(st.sampled_from([None, "0.00", "5.00", "100.00"]))
    budget_points = draw(st.sampled_from([None, 0, 3, 40]))
    return promo(
        f"p{index}",
        draw(st.lists(effect, min_size=1, max_size=3)),
        priority=draw(st.integers(0, 3)),
        exclusive=draw(st.booleans()),
        target={"skus": target_skus, "categories": target_categories},
        block_accrual=draw(st.booleans()),
        block_redemption=draw(st.booleans()),
        audience={"offer_only": draw(st.sampled_from([False, False, True]))},
        conditions={
            "min_subtotal": draw(st.sampled_from([None, None, "100", "1000"])),
            "code_required": draw(st.sampled_from([False, False, True])),
        },
        limits={"budget_amount": budget_amount, "budget_points": budget_points},
    )


@st.composite
def scenario(draw):
    count = draw(st.integers(0, 6))
    promotions = [draw(promotion(index)) for index in range(count)]
    lines = draw(st.lists(
        st.builds(
            lambda sku, category, quantity, price: line(sku, str(quantity), str(price), category=category),
            st.sampled_from(SKUS), st.sampled_from(CATEGORIES),
            st.sampled_from([Decimal("1"), Decimal("2"), Decimal("3"), Decimal("0.350"), Decimal("7")]),
            st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2),
        ),
        min_size=1, max_size=6,
    ))
    has_customer = draw(st.booleans())
    tier = draw(st.sampled_from([
        None,
        TierRules(code="gold", name="Gold", accrual_percent=Decimal("7"), max_redeem_percent=Decimal("50"), discount_percent=Decimal("5")),
        TierRules(code="silver", name="Silver", accrual_percent=None, max_redeem_percent=None, discount_percent=Decimal("0")),
    ])) if has_customer else None
    gifts = tuple(
        Gift(id=f"g{i}", name=f"Gift {i}", sku=sku, quantity=Decimal(quantity))
        for i, (sku, quantity) in enumerate(draw(st.lists(st.tuples(st.sampled_from(SKUS), st.sampled_from(["1", "2", "5"])), max_size=2)))
    ) if has_customer else ()
    codes = tuple(CodeLookup(code=f"CODE{spec.code}", promotion=spec.code) for spec in promotions if draw(st.booleans()))
    offers = {spec.code: Offer(promotion=spec.code, uses_left=1, ends_at=FRIDAY_EVENING + timedelta(days=1)) for spec in promotions}
    return {
        "promotions": promotions, "lines": lines, "customer": "c-1" if has_customer else None, "tier": tier,
        "gifts": gifts, "codes": codes, "offers": offers, "redeem": draw(st.sampled_from([0, "max"])),
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_random_promotions_and_receipts_always_reconcile(case):
    ctx = context(
        *case["promotions"], points=100_000, customer=case["customer"], tier=case["tier"],
        gifts=case["gifts"], codes=case["codes"], offers=case["offers"],
    )
    calc = price(ctx, *case["lines"], redeem=case["redeem"])

    # lines add up to totals; promotions, gifts and the tier account for the whole discount; the
    # accrual and promotion entries for every point; no line below zero
    assert_reconciles(calc)
    outcome = calc.outcomes["promotions"]
    applied = [item for item in calc.applied if item["kind"] == "promotion"]
    assert [use.promotion for use in outcome.uses] == [item["promotion"] for item in applied]
    specs = {spec.code: spec for spec in case["promotions"]}
    for use, item in zip(outcome.uses, applied):
        assert str(use.amount) == item["amount"] and use.points == item["points"]
        limits = specs[use.promotion].limits
        # a budget is never passed
        if limits.budget_amount_left is not None:
            assert use.amount <= limits.budget_amount_left
        if limits.budget_points_left is not None:
            assert use.points <= limits.budget_points_left
    # blocked lines earn and spend nothing
    for line in calc.lines:
        if not line.accrual_allowed:
            assert line.accrued_points == 0
        if not line.redemption_allowed:
            assert line.redeemed_points == 0 and line.redeemed_amount == 0
    for applied_item in outcome._applied:
        for position in applied_item.positions:
            if applied_item.spec.block_accrual:
                assert calc.lines[position].accrued_points == 0
            if applied_item.spec.block_redemption:
                assert calc.lines[position].redeemed_points == 0
    # an anonymous sale earns nothing and unlocks nothing
    if case["customer"] is None:
        assert calc.accrued_points == 0 and outcome.offers == [] and all(use.points == 0 for use in outcome.uses)
    # every active promotion is either applied or explained
    reported = {item["promotion"] for item in calc.extras.get("not_applied", [])} | {use.promotion for use in outcome.uses}
    assert reported == set(specs)
    # each code on the draft has one status, applied only with its promotion
    statuses = calc.extras.get("codes", [])
    assert len(statuses) == len(case["codes"])
    used = {use.promotion for use in outcome.uses}
    for lookup, status in zip(case["codes"], statuses):
        assert (status["status"] == "applied") == (lookup.promotion in used)

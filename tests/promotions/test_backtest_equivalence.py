"""The back-test's fast path (only receipts the promotion could touch priced, no texts rendered, receipts
alike priced once) gives exactly the figures of pricing every receipt through the normal calculation,
over a varied hand-built history: tiers with their own discount and rate, anonymous sales, earlier
purchases, offers, weekly windows and every kind of condition and effect."""
import random
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import Store
from loyalty.checkout import Draft, DraftLine, calculate
from loyalty.models import PointsAccount, Receipt, Tier
from loyalty.money import money_quantize
from loyalty.services import receipt_commit
from promotions.models import Offer, Promotion
from promotions.services import promotion_create
from promotions.services.backtest import _ctx, _promotion_entry, promotion_backtest, promotion_spec_build, promotion_steps
from promotions.specs import Offer as OfferSpec, PromotionsState
from tests.factories import customer_create

pytestmark = pytest.mark.django_db

CATALOGUE = [("MILK-1", "dairy", "89.90"), ("CHEESE-200", "dairy", "249.00"), ("BREAD-1", "bakery", "54.50"),
             ("APPLE-KG", "fruit", "129.90"), ("COFFEE-250", "grocery", "459.00"), ("WATER-15", "", "39.90")]


def reference_backtest(*, promotion_dict, merchant, days, now):
    """Every receipt of the window priced through `calculate` as the checkout does (texts rendered),
    one by one, read through the models."""
    spec = promotion_spec_build(merchant=merchant, promotion_dict=promotion_dict)
    start = now - timedelta(days=days)
    program = merchant.program
    receipts = list(Receipt.objects.filter(merchant=merchant, purchased_at__gte=start, purchased_at__lt=now)
                    .order_by("purchased_at", "pk").prefetch_related("lines"))
    previous, has_earlier, stamps = {}, set(), {}
    for receipt in Receipt.objects.filter(merchant=merchant, purchased_at__lt=start, customer__isnull=False).order_by("purchased_at", "pk"):
        previous[receipt.customer_id] = receipt.subtotal - receipt.discount - receipt.refunded_cost
        has_earlier.add(receipt.customer_id)
    touched, customers, discount, extra_points, revenue = 0, set(), Decimal(0), 0, Decimal(0)
    every_nth = spec.conditions.every_nth
    for receipt in receipts:
        customer_id = receipt.customer_id
        tier = PointsAccount.objects.get(merchant=merchant, customer_id=customer_id).effective_tier if customer_id else None
        held = {}
        for offer in Offer.objects.filter(merchant=merchant, customer_id=customer_id, promotion__code=spec.code, withdrawn_at__isnull=True):
            if spec.audience.offer_only and offer.granted_at <= receipt.purchased_at and (offer.ends_at is None or receipt.purchased_at < offer.ends_at):
                held = {spec.code: OfferSpec(promotion=spec.code, ends_at=offer.ends_at)}
        state = PromotionsState(
            promotions=(spec,), purchased_at=receipt.purchased_at, timezone=merchant.timezone,
            customer=str(customer_id) if customer_id else None, tier=tier.code if tier else None, offers=held,
            stamps={spec.code: stamps.get(customer_id, 0)} if every_nth and customer_id else {},
            previous_purchase=previous.get(customer_id), first_purchase=bool(customer_id) and customer_id not in has_earlier,
        )
        ctx = _ctx(merchant=merchant, program=program, language="ru", has_customer=customer_id is not None, tier=tier, state=state)
        lines = tuple(DraftLine(sku=line.sku, name=line.name, category=line.category, quantity=line.quantity, price=line.price)
                      for line in sorted(receipt.lines.all(), key=lambda line: line.position))
        try:
            calc = calculate(Draft(lines=lines, purchased_at=receipt.purchased_at), ctx, promotion_steps())
        except ApplicationError:
            calc = None
        entry = _promotion_entry(calc, spec.code) if calc is not None else None
        if entry is not None:
            assert entry["name"] and entry["text"]  # the normal calculation renders its texts
            touched += 1
            if customer_id:
                customers.add(customer_id)
            discount += Decimal(entry["amount"])
            extra_points += entry["points"]
            revenue += receipt.subtotal - receipt.discount
            if every_nth and customer_id:
                stamps[customer_id] = 0
        elif every_nth and customer_id and calc is not None:
            stamps[customer_id] = stamps.get(customer_id, 0) + 1
        if customer_id:
            previous[customer_id] = receipt.subtotal - receipt.discount
            has_earlier.add(customer_id)
    zone = ZoneInfo(merchant.timezone)
    return {
        "from": start.astimezone(zone).isoformat(), "to": now.astimezone(zone).isoformat(),
        "receipts": touched, "customers": len(customers),
        "discount": str(money_quantize(discount, merchant.currency)), "extra_points": extra_points,
        "revenue": str(money_quantize(revenue, merchant.currency)),
    }


@pytest.fixture
def varied_history(merchant):
    rnd = random.Random(20261130)
    store = Store.objects.get(merchant=merchant, code="main")
    gold = Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=2, entry={},
                               accrual_percent=Decimal("7"), discount_percent=Decimal("5"), max_redeem_percent=Decimal("30"))
    people = [customer_create(merchant) for _ in range(5)]
    PointsAccount.objects.filter(merchant=merchant, customer__in=people[:2]).update(override_tier=gold)
    now = timezone.now()
    number = 0
    for days_ago in [*range(1, 89, 2), 95, 120]:  # two receipts before the 90 days
        for _ in range(rnd.choice((1, 2))):
            number += 1
            customer = rnd.choice([*people, None])
            lines = []
            # The same two baskets come back often (priced once); the others vary.
            if rnd.random() < 0.3:
                picks = [("MILK-1", "dairy", "89.90", "2"), ("BREAD-1", "bakery", "54.50", "1")]
            else:
                picks = [(*rnd.choice(CATALOGUE), rnd.choice(("1", "2", "3", "0.5"))) for _ in range(rnd.randint(1, 4))]
            for sku, category, price, quantity in picks:
                lines.append(DraftLine(sku=sku, name=sku.title(), category=category, quantity=Decimal(quantity), price=Decimal(price)))
            moment = now - timedelta(days=days_ago, hours=rnd.randint(0, 23), minutes=rnd.randint(0, 59))
            receipt_commit(merchant=merchant, store=store, customer=customer, draft=Draft(lines=tuple(lines), purchased_at=moment),
                           number=f"V-{number}")
    promotion_create(merchant=merchant, data={"code": "offer", "name": "Offer -20%", "audience": {"offer_only": True},
                                              "effects": [{"type": "percent_off", "value": "20"}]})
    offer_promotion = Promotion.objects.get(merchant=merchant, code="offer")
    Offer.objects.create(merchant=merchant, customer=people[0], promotion=offer_promotion, granted_at=now - timedelta(days=60),
                         ends_at=now - timedelta(days=20))
    Offer.objects.create(merchant=merchant, customer=people[2], promotion=offer_promotion, granted_at=now - timedelta(days=30))
    return people


PROMOTIONS = [
    {"code": "dairy", "name": "Dairy -10%", "target": {"skus": [], "categories": ["dairy"]},
     "conditions": {"categories": ["dairy"]}, "effects": [{"type": "percent_off", "value": "10"}]},
    {"code": "gold-extra", "name": "Gold +25", "audience": {"tiers": ["gold"]}, "effects": [{"type": "extra_points", "value": "25"}]},
    {"code": "big", "name": "50 off 300", "conditions": {"min_subtotal": "300"}, "effects": [{"type": "amount_off", "value": "50"}]},
    {"code": "weekdays", "name": "Double on weekdays", "weekly": [{"days": [1, 2, 3, 4, 5], "from": "09:00", "to": "18:00"}],
     "effects": [{"type": "points_multiplier", "value": "2"}]},
    {"code": "third", "name": "Every 3rd half price", "conditions": {"every_nth": {"n": 3}}, "effects": [{"type": "percent_off", "value": "50"}]},
    {"code": "again", "name": "Back again", "conditions": {"previous_purchase_min": "200"},
     "effects": [{"type": "extra_points_percent", "value": "3"}]},
    {"code": "first", "name": "First purchase at 30", "conditions": {"first_purchase": True},
     "effects": [{"type": "fixed_price", "value": "30.00"}]},
    {"code": "offer", "name": "Offer -20%", "audience": {"offer_only": True}, "effects": [{"type": "percent_off", "value": "20"}]},
    {"code": "yellow", "name": "Yellow tag milk", "target": {"skus": ["MILK-1"], "categories": []}, "block_accrual": True,
     "block_redemption": True, "effects": [{"type": "percent_off", "value": "25"}]},
    {"code": "coded", "name": "With a code", "conditions": {"code_required": True}, "effects": [{"type": "percent_off", "value": "5"}]},
    {"code": "two-bread", "name": "Two breads", "conditions": {"skus": ["BREAD-1"], "min_quantity": "2"},
     "target": {"skus": ["BREAD-1"], "categories": []}, "effects": [{"type": "amount_off", "value": "10"}, {"type": "extra_points", "value": "5"}]},
    {"code": "points-only", "name": "Points only", "exclusive": True, "effects": [{"type": "extra_points_percent", "value": "1.5"}]},
]


@pytest.mark.parametrize("promotion", PROMOTIONS, ids=[item["code"] for item in PROMOTIONS])
def test_fast_backtest_equals_pricing_every_receipt(merchant, varied_history, promotion):
    now = timezone.now()
    fast = promotion_backtest(promotion_dict=promotion, merchant=merchant, days=90, now=now)
    assert fast == reference_backtest(promotion_dict=promotion, merchant=merchant, days=90, now=now)


def test_audience_of_listed_customers_and_the_data_set_is_varied(merchant, varied_history):
    now = timezone.now()
    promotion = {"code": "listed", "name": "Listed", "audience": {"customers": [str(varied_history[1].pk), str(varied_history[3].pk)]},
                 "effects": [{"type": "percent_off", "value": "7"}, {"type": "extra_points", "value": "3"}]}
    fast = promotion_backtest(promotion_dict=promotion, merchant=merchant, days=90, now=now)
    assert fast == reference_backtest(promotion_dict=promotion, merchant=merchant, days=90, now=now)
    # The history is not trivial: each of these promotions touches some receipts and leaves others.
    total = Receipt.objects.filter(merchant=merchant, purchased_at__gte=now - timedelta(days=90)).count()
    for item in PROMOTIONS:
        if item["code"] in ("coded",):
            continue
        touched = promotion_backtest(promotion_dict=item, merchant=merchant, days=90, now=now)["receipts"]
        assert 0 < touched < total, item["code"]

"""The back-test and the editor's preview: a promotion priced alone, through the one checkout pipeline.

`promotion_backtest` judges a promotion (API JSON, stored or being edited) over the merchant's
committed receipts of the last `days` days, had it been live for them: its fixed interval and
`active` are set aside, its weekly windows, audience and conditions are judged for each receipt as of
its time (customers at their current tier), limits ignored, alone, over the receipts' own lines. It
reads set-based (the receipts, their lines, the customers' tiers, offers and earlier purchases in a
few queries, whatever the number of receipts, as plain tuples) and writes nothing.

Fast, with the same figures as pricing every receipt: a receipt the promotion cannot apply to (its
judging in `promotions.pipeline.promotion_eligible` says so) is not priced; the others are priced
without rendering explanation texts, and receipts with the same lines, customer or none, and tier are
priced once.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Max

from accounts.errors import ApplicationError, ValidationError
from accounts.models import Merchant
from loyalty.checkout import STEPS, CheckoutContext, Draft, DraftLine, ProgramRules, calculate, step_accrual, step_tier
from loyalty.money import money_quantize
from loyalty.models import PointsAccount, Receipt, ReceiptLine, Tier
from loyalty.services.tiers import tier_rules
from promotions.models import Offer, Promotion
from promotions.pipeline import NAME, promotion_eligible, step_promotion_points, step_promotions
from promotions.services.validation import promotion_validate
from promotions.specs import Limits, Offer as OfferSpec, PromotionSpec, PromotionsState, spec_from_dict

ZERO = Decimal("0")
MAX_DAYS = 3650
READ_ONLY = ("uses", "spent_amount", "spent_points")
REFUSED = object()  # a receipt the pipeline refused to price: it neither counts nor stamps


def promotion_steps() -> list:
    """loyalty's steps with the promotions steps at their places (whether or not the app registered them)."""
    steps = []
    for step in STEPS:
        steps.append(step)
        if step is step_tier:
            steps.append(step_promotions)
        if step is step_accrual:
            steps.append(step_promotion_points)
    return steps


def promotion_spec_build(*, merchant: Merchant, promotion_dict: dict, live: bool = True) -> PromotionSpec:
    """Validate API JSON of a promotion (a stored one may keep its own code) and compile it, limits set aside.

    Raises:
        ValidationError: each bad field named, as promotion_create would.
    """
    if not isinstance(promotion_dict, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    data = {key: value for key, value in promotion_dict.items() if key not in READ_ONLY}
    code = data.get("code")
    existing = Promotion.objects.filter(merchant=merchant, code=code).first() if isinstance(code, str) and code else None
    if existing is not None:
        data.pop("code")
    clean = promotion_validate(merchant=merchant, data=data, promotion=existing)
    shape = {"code": existing.code if existing else clean.get("code"), "name": clean.get("name", existing.name if existing else "")}
    base = {} if existing is None else {key: getattr(existing, key) for key in (
        "priority", "exclusive", "active", "starts_at", "ends_at", "weekly", "audience", "conditions", "target", "effects",
        "block_accrual", "block_redemption")}
    shape = {**base, **clean, **shape}
    spec = spec_from_dict(shape)
    if live:
        spec = replace(spec, active=True, starts_at=None, ends_at=None, limits=Limits())
    return spec


def _ctx(*, merchant: Merchant, program, language: str, has_customer: bool, tier, state: PromotionsState) -> CheckoutContext:
    return CheckoutContext(
        currency=merchant.currency, language=language,
        program=_program_rules(program),
        has_customer=has_customer, tier=tier_rules(tier), extras={NAME: state},
    )


def _program_rules(program) -> ProgramRules:
    return ProgramRules(accrual_percent=program.accrual_percent, max_redeem_percent=program.max_redeem_percent,
                        point_value=program.point_value, max_receipt_amount=None)


class _Line(NamedTuple):
    """A receipt line as read: cheap to make and to compare (receipts alike are priced once)."""

    sku: str
    name: str
    category: str
    quantity: Decimal
    price: Decimal


class _Receipt:
    """What `promotion_eligible` reads of a receipt before it is priced: its lines and subtotal."""

    __slots__ = ("lines", "subtotal")

    def __init__(self, lines: tuple, currency: str, with_subtotal: bool):
        self.lines = lines
        # As step_price_lines prices it; read only by a minimum-subtotal condition.
        self.subtotal = sum((money_quantize(line.quantity * line.price, currency) for line in lines), ZERO) if with_subtotal else ZERO


def _promotion_entry(calc, code: str) -> dict | None:
    for entry in calc.applied:
        if entry.get("kind") == "promotion" and entry.get("promotion") == code:
            return entry
    return None


def promotion_preview(*, merchant: Merchant, spec: PromotionSpec, lines: list[DraftLine], now: datetime, language: str):
    """A sample receipt (anonymous unless the promotion needs a customer: then one in its audience) priced
    with `spec` alone, its schedule set aside (weekly windows too: the sample is priced as if inside one).
    Returns the Calculation."""
    spec = replace(spec, weekly=())
    audience = spec.audience
    customer = audience.customers[0] if audience.customers else ("preview" if (audience.tiers or audience.offer_only) else None)
    state = PromotionsState(
        promotions=(spec,), purchased_at=now, timezone=merchant.timezone, customer=customer,
        tier=audience.tiers[0] if audience.tiers else None,
        offers={spec.code: OfferSpec(promotion=spec.code)} if audience.offer_only else {},
        stamps={spec.code: spec.conditions.every_nth.n - 1} if spec.conditions.every_nth else {},
        previous_purchase=spec.conditions.previous_purchase_min, first_purchase=True,
    )
    program = merchant.program
    ctx = _ctx(merchant=merchant, program=program, language=language, has_customer=customer is not None, tier=None, state=state)
    draft = Draft(lines=tuple(lines), purchased_at=now)
    return calculate(draft, ctx, promotion_steps())


def promotion_backtest(*, promotion_dict: dict, merchant: Merchant, days: int, now: datetime) -> dict:
    """What the promotion would have done to the committed receipts of the last `days` days.

    Returns {"from", "to", "receipts", "customers", "discount", "extra_points", "revenue"}.

    Raises:
        ValidationError: `days` not a whole number from 1 to 3650; the promotion's bad fields named.
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": [f"Send a whole number of days from 1 to {MAX_DAYS}."]})
    spec = promotion_spec_build(merchant=merchant, promotion_dict=promotion_dict)
    start = now - timedelta(days=days)
    program = merchant.program
    window = Receipt.objects.filter(merchant=merchant, purchased_at__gte=start, purchased_at__lt=now)
    # Plain tuples read in chunks, no model instances: (pk, customer_id, purchased_at, subtotal, discount).
    receipts = list(window.order_by("purchased_at", "pk").values_list("pk", "customer_id", "purchased_at", "subtotal", "discount")
                    .iterator(chunk_size=10000))
    lines: dict = {}
    if receipts:
        rows = (ReceiptLine.objects.filter(merchant=merchant, receipt__merchant=merchant, receipt__purchased_at__gte=start,
                                           receipt__purchased_at__lt=now)
                .order_by("receipt_id", "position").values_list("receipt_id", "sku", "name", "category", "quantity", "price"))
        for receipt_id, sku, name, category, quantity, price in rows.iterator(chunk_size=10000):
            lines.setdefault(receipt_id, []).append(_Line(sku, name, category, quantity, price))
        lines = {receipt_id: tuple(items) for receipt_id, items in lines.items()}
    has_customers = any(row[1] for row in receipts)
    # The window's customers as a subquery, not a list of ids sent back.
    window_customers = window.filter(customer_id__isnull=False).values("customer_id")
    tiers = {}
    earlier: dict = {}
    offers: dict = {}
    if has_customers:
        # Plain rows and the merchant's few tiers, not a model (and two tier models) per customer.
        by_id = {tier.pk: tier for tier in Tier.objects.filter(merchant=merchant)}
        for customer_id, tier_id, override_id in (PointsAccount.objects.filter(merchant=merchant, customer_id__in=window_customers)
                                                  .values_list("customer_id", "tier_id", "override_tier_id").iterator(chunk_size=10000)):
            tiers[customer_id] = by_id.get(override_id or tier_id)  # the effective tier, as PointsAccount.effective_tier
        # The latest receipt before the window, per customer: its cost starts "previous purchase".
        last_before = dict(Receipt.objects.filter(merchant=merchant, customer_id__in=window_customers, purchased_at__lt=start)
                           .values("customer_id").annotate(last=Max("purchased_at")).values_list("customer_id", "last"))
        if last_before:
            for row in Receipt.objects.filter(merchant=merchant, customer_id__in=list(last_before), purchased_at__in=set(last_before.values())).values(
                    "customer_id", "purchased_at", "subtotal", "discount", "refunded_cost", "fully_refunded"):
                if row["purchased_at"] == last_before[row["customer_id"]]:
                    earlier[row["customer_id"]] = row
        if spec.audience.offer_only:
            for offer in Offer.objects.filter(merchant=merchant, customer_id__in=window_customers, promotion__code=spec.code,
                                              withdrawn_at__isnull=True):
                offers.setdefault(offer.customer_id, []).append(offer)
    # Walk the receipts in time order, carrying each customer's previous purchase and stamps.
    previous: dict = {cid: row["subtotal"] - row["discount"] - row["refunded_cost"] for cid, row in earlier.items()}
    has_earlier = set(earlier)
    stamps: dict = {}
    touched = 0
    customers = set()
    discount = ZERO
    extra_points = 0
    revenue = ZERO
    every_nth = spec.conditions.every_nth
    steps = promotion_steps()
    rules = _program_rules(program)
    tier_rules_by_id: dict = {}
    priced: dict = {}
    with_subtotal = spec.conditions.min_subtotal is not None
    for receipt_id, customer_id, moment, subtotal, receipt_discount in receipts:
        tier = tiers.get(customer_id) if customer_id else None
        held = {}
        for offer in offers.get(customer_id, ()):
            if offer.granted_at <= moment and (offer.ends_at is None or moment < offer.ends_at):
                held = {spec.code: OfferSpec(promotion=spec.code, ends_at=offer.ends_at)}
        state = PromotionsState(
            promotions=(spec,), purchased_at=moment, timezone=merchant.timezone,
            customer=str(customer_id) if customer_id else None, tier=tier.code if tier else None, offers=held,
            stamps={spec.code: stamps.get(customer_id, 0)} if every_nth and customer_id else {},
            previous_purchase=previous.get(customer_id), first_purchase=bool(customer_id) and customer_id not in has_earlier,
        )
        receipt_lines = lines.get(receipt_id, ())
        # A receipt the promotion cannot apply to is not priced: its figures would hold no entry of it.
        entry = None
        if promotion_eligible(spec, state, _Receipt(receipt_lines, merchant.currency, with_subtotal)):
            # Once the promotion passed its judging, what it gives depends on the lines, whether there is a
            # customer and their tier only (no codes, gifts or limits here): receipts alike are priced once.
            key = (receipt_lines, customer_id is not None, tier.pk if tier is not None else None)
            if key in priced:
                entry = priced[key]
            else:
                if tier is None:
                    rules_of_tier = None
                elif tier.pk in tier_rules_by_id:
                    rules_of_tier = tier_rules_by_id[tier.pk]
                else:
                    rules_of_tier = tier_rules_by_id[tier.pk] = tier_rules(tier)
                ctx = CheckoutContext(currency=merchant.currency, language=merchant.language, program=rules,
                                      has_customer=customer_id is not None, tier=rules_of_tier, extras={NAME: state}, render_texts=False)
                try:
                    draft_lines = tuple(DraftLine(sku=line.sku, name=line.name, category=line.category, quantity=line.quantity,
                                                  price=line.price) for line in receipt_lines)
                    calc = calculate(Draft(lines=draft_lines, purchased_at=moment), ctx, steps)
                except ApplicationError:  # a receipt the rules of today refuse is left out
                    calc = None
                entry = priced[key] = _promotion_entry(calc, spec.code) if calc is not None else REFUSED
        if entry is REFUSED:
            pass
        elif entry is not None:
            touched += 1
            if customer_id:
                customers.add(customer_id)
            discount += Decimal(str(entry.get("amount") or "0"))
            extra_points += int(entry.get("points") or 0)
            revenue += subtotal - receipt_discount
            if every_nth and customer_id:
                stamps[customer_id] = 0
        elif every_nth and customer_id:
            stamps[customer_id] = stamps.get(customer_id, 0) + 1
        if customer_id:
            previous[customer_id] = subtotal - receipt_discount
            has_earlier.add(customer_id)
    zone = ZoneInfo(merchant.timezone)
    return {
        "from": start.astimezone(zone).isoformat(), "to": now.astimezone(zone).isoformat(),
        "receipts": touched, "customers": len(customers),
        "discount": str(money_quantize(discount, merchant.currency)), "extra_points": extra_points,
        "revenue": str(money_quantize(revenue, merchant.currency)),
    }

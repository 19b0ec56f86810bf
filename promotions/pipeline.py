"""What promotions plug into the checkout pipeline: two pure steps.

- `step_promotions` (place `after_tier`): gifts, then every live candidate judged (schedule at the
  draft's `purchased_at` in the merchant's timezone, audience, conditions, codes, limits); exclusive
  promotions claim their target lines (best for the customer wins); the rest act in priority order
  (higher first, ties by code), each discount on what earlier ones left, no line below zero;
  `block_*` set the line flags, points effects change the lines' accrual rates.
- `step_promotion_points` (place `after_accrual`): fixed `extra_points`, each promotion's `points`
  (what it added beyond the rate the lines had before promotions), budgets on points, and the
  accrual entries restated at the base rates, so `applied` reconciles exactly with the totals.

Both read their state from `ctx.extras["promotions"]` (`promotions.specs.PromotionsState`) and touch
no database. What the commit must write is `calc.outcomes["promotions"]` (`PromotionsOutcome`); the
response's `codes` and `not_applied` go to `calc.extras`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from loyalty.checkout import HUNDRED, ZERO, Calculation, CheckoutContext, Line, explained, fmt_percent
from loyalty.money import money_quantize, split_integer, split_money
from loyalty.texts import message
from promotions.specs import (
    CODE_VALID,
    MONEY_EFFECTS,
    RATE_EFFECTS,
    AmountOff,
    ExtraPoints,
    ExtraPointsPercent,
    FixedPrice,
    PercentOff,
    PointsMultiplier,
    PromotionsState,
    PromotionSpec,
    Unlock,
)

NAME = "promotions"

# not_applied reasons, as the API names them.
SCHEDULE, AUDIENCE, CONDITIONS, LIMITS, CODE, EXCLUSIVE = "schedule", "audience", "conditions", "limits", "code", "exclusive"


# ---------------------------------------------------------------- what the commit writes


@dataclass(frozen=True)
class PromotionUse:
    """One applied promotion: one use of it, what it spent, and what else the commit records."""

    promotion: str
    amount: Decimal  # money it took off (counts against budget_amount)
    points: int  # points it added (counts against budget_points)
    codes: tuple[str, ...] = ()  # accepted codes of this promotion on the draft, as typed
    offer: bool = False  # an offer_only promotion: one use of the customer's offer
    stamp: bool = False  # a stamp card rewarded: counting starts again after this receipt


@dataclass(frozen=True)
class GiftUse:
    gift: str  # the gift's id
    amount: Decimal


@dataclass(frozen=True)
class OfferGrant:
    """An `unlock` effect: grant the customer a personal offer of `promotion` for `days` from the
    purchase and `uses` receipts (None: no bound of that kind)."""

    promotion: str
    days: int | None
    uses: int | None
    source: str  # the promotion whose effect unlocked it


@dataclass(frozen=True)
class CodeRejection:
    code: str
    reason: str


@dataclass
class PromotionsOutcome:
    """`calc.outcomes["promotions"]`: what the after-commit writer records, inside the commit.

    `uses`: add one use and `amount`/`points` spent per promotion; mark `codes` used; take one use
    off the customer's offer where `offer`. `gifts`: close each gift with the receipt.
    `offers`: grant each. `rejected`: codes the draft carries that were refused; a commit with any
    is refused (422, the first one's reason as the error code) and writes nothing.
    """

    uses: list[PromotionUse] = field(default_factory=list)
    gifts: list[GiftUse] = field(default_factory=list)
    offers: list[OfferGrant] = field(default_factory=list)
    rejected: list[CodeRejection] = field(default_factory=list)

    @property
    def codes_used(self) -> tuple[str, ...]:
        return tuple(code for use in self.uses for code in use.codes)

    # Working state between the two steps (not for the writer).
    _applied: list = field(default_factory=list, repr=False)
    _base_rates: dict = field(default_factory=dict, repr=False)


@dataclass
class _Applied:
    """A promotion that acted on the receipt, as the two steps share it."""

    spec: PromotionSpec
    positions: tuple[int, ...]  # lines it acted on
    amount: Decimal
    entry: dict  # its `applied` entry (points filled in after accrual)
    rate_increments: dict[int, Decimal]  # position → accrual rate it added
    extra_points: int
    codes: tuple[str, ...]
    points: int = 0


# ---------------------------------------------------------------- judging a promotion


def _state(ctx: CheckoutContext) -> PromotionsState | None:
    return ctx.extras.get(NAME)


def _live(spec: PromotionSpec, state: PromotionsState) -> bool:
    moment = state.purchased_at
    if not spec.active:
        return False
    if spec.starts_at is not None and moment < spec.starts_at:
        return False
    if spec.ends_at is not None and moment >= spec.ends_at:
        return False
    if spec.weekly:
        local = moment.astimezone(ZoneInfo(state.timezone))
        minute = local.hour * 60 + local.minute
        return any(window.holds(local.isoweekday(), minute) for window in spec.weekly)
    return True


def _audience(spec: PromotionSpec, state: PromotionsState) -> dict | None:
    """None when the audience holds, else the message why not."""
    audience = spec.audience
    if not audience.restricted:
        return None
    if state.customer is None:
        return message("promotion.not_applied.customer_required")
    if audience.tiers and state.tier not in audience.tiers:
        return message("promotion.not_applied.audience")
    if audience.segments and not state.segments.intersection(audience.segments):
        return message("promotion.not_applied.audience")
    if audience.customers and state.customer not in audience.customers:
        return message("promotion.not_applied.audience")
    if audience.offer_only:
        offer = state.offers.get(spec.code)
        if offer is None or not offer.live_at(state.purchased_at):
            return message("promotion.not_applied.audience")
    return None


def _conditions(spec: PromotionSpec, state: PromotionsState, calc: Calculation) -> bool:
    conditions = spec.conditions
    if conditions.min_subtotal is not None and calc.subtotal < conditions.min_subtotal:
        return False
    if conditions.skus or conditions.categories or conditions.min_quantity is not None:
        units = sum(
            (
                line.quantity
                for line in calc.lines
                if (not conditions.skus and not conditions.categories)
                or line.sku in conditions.skus
                or (line.category and line.category in conditions.categories)
            ),
            ZERO,
        )
        if units <= 0 or units < (conditions.min_quantity if conditions.min_quantity is not None else Decimal(1)):
            return False
    customer_bound = conditions.previous_purchase_min is not None or conditions.first_purchase or conditions.every_nth
    if customer_bound and state.customer is None:
        return False
    if conditions.previous_purchase_min is not None and (
        state.previous_purchase is None or state.previous_purchase < conditions.previous_purchase_min
    ):
        return False
    if conditions.first_purchase and not state.first_purchase:
        return False
    if conditions.every_nth is not None and state.stamps.get(spec.code, 0) + 1 < conditions.every_nth.n:
        return False
    return True


def _limits(spec: PromotionSpec, state: PromotionsState) -> dict | None:
    limits = spec.limits
    if limits.per_customer is not None and state.customer is None:
        return message("promotion.not_applied.customer_required")
    money = any(isinstance(effect, MONEY_EFFECTS) for effect in spec.effects)
    points = any(isinstance(effect, (*RATE_EFFECTS, ExtraPoints)) for effect in spec.effects)
    exhausted = (
        (limits.per_customer_left is not None and limits.per_customer_left <= 0)
        or (limits.total_uses_left is not None and limits.total_uses_left <= 0)
        or (money and not points and limits.budget_amount_left is not None and limits.budget_amount_left <= 0)
        or (points and not money and limits.budget_points_left is not None and limits.budget_points_left <= 0)
        or (
            money and points
            and limits.budget_amount_left is not None and limits.budget_amount_left <= 0
            and limits.budget_points_left is not None and limits.budget_points_left <= 0
        )
    )
    return message("promotion.not_applied.limits") if exhausted else None


def promotion_eligible(spec: PromotionSpec, state: PromotionsState, calc) -> bool:
    """Whether `spec` passes the judging `step_promotions` does before it acts (active, schedule,
    audience, conditions, code, limits, a target line): what it must pass to appear in `applied`.

    `calc` needs only `subtotal` (read when the conditions name a minimum) and `lines` (each with
    `sku`, `category` and `quantity`): a back-test asks this before pricing a receipt at all.
    """
    if not spec.active or not _live(spec, state) or _audience(spec, state) is not None or not _conditions(spec, state, calc):
        return False
    if spec.conditions.code_required and not any(
        lookup.status == CODE_VALID and lookup.promotion == spec.code for lookup in state.codes
    ):
        return False
    if _limits(spec, state) is not None:
        return False
    return any(spec.target.matches(line.sku, line.category) for line in calc.lines)


# ---------------------------------------------------------------- effects on lines


def _charged_quantity(line: Line, gifted: dict[int, Decimal]) -> Decimal:
    return line.quantity - gifted.get(line.position, ZERO)


def _apply_money(effect, lines: list[Line], currency: str, gifted: dict[int, Decimal]) -> None:
    if isinstance(effect, PercentOff):
        for line in lines:
            if line.net > 0:
                line.discount += min(money_quantize(line.net * effect.value / HUNDRED, currency), line.net)
    elif isinstance(effect, AmountOff):
        open_lines = [line for line in lines if line.net > 0]
        base = sum((line.net for line in open_lines), ZERO)
        amount = min(money_quantize(effect.value, currency), base)
        if amount > 0:
            nets = [line.net for line in open_lines]
            for line, share in zip(open_lines, split_money(amount, nets, currency, caps=nets)):
                line.discount += share
    elif isinstance(effect, FixedPrice):
        for line in lines:
            target = money_quantize(effect.value * _charged_quantity(line, gifted), currency)
            if line.net > target:
                line.discount += line.net - target


def _apply_effects(spec: PromotionSpec, lines: list[Line], ctx: CheckoutContext, gifted: dict[int, Decimal]) -> int:
    """Run the spec's effects over `lines` in their order; returns its fixed extra points."""
    extra = 0
    for effect in spec.effects:
        if isinstance(effect, MONEY_EFFECTS):
            _apply_money(effect, lines, ctx.currency, gifted)
        elif isinstance(effect, PointsMultiplier):
            for line in lines:
                line.accrual_percent = line.accrual_percent * effect.value
        elif isinstance(effect, ExtraPointsPercent):
            for line in lines:
                line.accrual_percent = line.accrual_percent + effect.value
        elif isinstance(effect, ExtraPoints):
            extra += effect.value
    return extra


def _estimate(spec: PromotionSpec, lines: list[Line], ctx: CheckoutContext, gifted: dict[int, Decimal]) -> tuple[Decimal, Decimal]:
    """Money off and points added if `spec` acted alone on `lines` now: how exclusives compete."""
    copies = [Line(**{name: getattr(line, name) for name in Line.__dataclass_fields__}) for line in lines]
    extra = _apply_effects(spec, copies, ctx, gifted)
    money = sum((copy.discount - line.discount for copy, line in zip(copies, lines)), ZERO)
    if not ctx.has_customer:
        return money, ZERO
    points = Decimal(extra) + sum(
        (
            copy.net * (copy.accrual_percent - line.accrual_percent) / HUNDRED / ctx.program.point_value
            for copy, line in zip(copies, lines)
            if line.accrual_allowed and not spec.block_accrual and copy.net > 0
        ),
        ZERO,
    )
    return money, points


def _detail(spec: PromotionSpec, currency: str, budget_cut: bool) -> list[dict]:
    parts = []
    for effect in spec.effects:
        if isinstance(effect, PercentOff):
            parts.append(message("applied.promotion.percent_off", rate=fmt_percent(effect.value)))
        elif isinstance(effect, AmountOff):
            parts.append(message("applied.promotion.amount_off", value=str(money_quantize(effect.value, currency))))
        elif isinstance(effect, FixedPrice):
            parts.append(message("applied.promotion.fixed_price", value=str(money_quantize(effect.value, currency))))
        elif isinstance(effect, PointsMultiplier):
            parts.append(message("applied.promotion.points_multiplier", value=fmt_percent(effect.value)))
        elif isinstance(effect, ExtraPointsPercent):
            parts.append(message("applied.promotion.extra_points_percent", rate=fmt_percent(effect.value)))
        elif isinstance(effect, ExtraPoints):
            parts.append(message("applied.promotion.extra_points", points=effect.value))
        elif isinstance(effect, Unlock):
            parts.append(message("applied.promotion.unlock", promotion=effect.promotion))
    if spec.block_accrual:
        parts.append(message("applied.promotion.block_accrual"))
    if spec.block_redemption:
        parts.append(message("applied.promotion.block_redemption"))
    if budget_cut:
        parts.append(message("applied.promotion.budget_cut"))
    return parts


def _not_applied(spec: PromotionSpec, reason: str, detail: dict) -> dict:
    return explained({"kind": "promotion", "promotion": spec.code, "reason": reason}, name=message("applied.promotion.name", name=spec.name), detail=[detail])


# ---------------------------------------------------------------- gifts


def _gifts(calc: Calculation, ctx: CheckoutContext, state: PromotionsState, outcome: PromotionsOutcome) -> dict[int, Decimal]:
    """Open gifts: lines with the gift's SKU get up to its quantity free. Returns gifted units by line."""
    gifted: dict[int, Decimal] = {}
    for gift in state.gifts:
        left = gift.quantity
        amount = ZERO
        units_given = ZERO
        for line in calc.lines:
            if left <= 0:
                break
            if line.sku != gift.sku or line.net <= 0:
                continue
            units = min(_charged_quantity(line, gifted), left)
            if units <= 0:
                continue
            share = min(money_quantize(units * line.price, ctx.currency), line.net)
            line.discount += share
            gifted[line.position] = gifted.get(line.position, ZERO) + units
            if gifted[line.position] >= line.quantity:
                # The whole line is the gift: it earns and spends nothing.
                line.accrual_allowed = False
                line.redemption_allowed = False
            left -= units
            units_given += units
            amount += share
        if units_given > 0:
            amount = money_quantize(amount, ctx.currency)
            outcome.gifts.append(GiftUse(gift=gift.id, amount=amount))
            calc.applied.append(explained(
                {"kind": "gift", "amount": str(money_quantize(amount, ctx.currency))},
                name=message("applied.gift.name", name=gift.name),
                detail=[message("applied.gift.detail", quantity=f"{units_given.normalize():f}", sku=gift.sku)],
            ))
    return gifted


# ---------------------------------------------------------------- the steps


def step_promotions(calc: Calculation, ctx: CheckoutContext) -> None:
    """Gifts and promotions on the lines (place `after_tier`)."""
    state = _state(ctx)
    if state is None:
        return
    outcome = PromotionsOutcome()
    calc.outcomes[NAME] = outcome
    outcome._base_rates = {line.position: line.accrual_percent for line in calc.lines}
    gifted = _gifts(calc, ctx, state, outcome)

    specs = sorted(state.promotions, key=lambda spec: spec.order_key)
    codes_by_promotion: dict[str, list[str]] = {}
    for lookup in state.codes:
        if lookup.status == CODE_VALID and lookup.promotion:
            codes_by_promotion.setdefault(lookup.promotion, []).append(lookup.code)

    not_applied: list[dict] = []
    eligible: list[PromotionSpec] = []
    for spec in specs:
        if not spec.active:
            continue
        reason: tuple[str, dict] | None = None
        if not _live(spec, state):
            reason = (SCHEDULE, message("promotion.not_applied.schedule"))
        elif (why := _audience(spec, state)) is not None:
            reason = (AUDIENCE, why)
        elif not _conditions(spec, state, calc):
            reason = (CONDITIONS, message("promotion.not_applied.conditions"))
        elif spec.conditions.code_required and not codes_by_promotion.get(spec.code):
            reason = (CODE, message("promotion.not_applied.code"))
        elif (why := _limits(spec, state)) is not None:
            reason = (AUDIENCE if why["code"].endswith("customer_required") else LIMITS, why)
        elif not any(spec.target.matches(line.sku, line.category) for line in calc.lines):
            reason = (CONDITIONS, message("promotion.not_applied.no_target"))
        if reason:
            not_applied.append(_not_applied(spec, *reason))
        else:
            eligible.append(spec)

    # Exclusives claim their target lines, the best for the customer first.
    def targets(spec: PromotionSpec) -> list[Line]:
        return [line for line in calc.lines if spec.target.matches(line.sku, line.category)]

    claimed: dict[int, PromotionSpec] = {}
    allowed: dict[str, list[Line]] = {}
    losers: dict[str, PromotionSpec] = {}
    exclusives = [spec for spec in eligible if spec.exclusive]
    ranked = sorted(
        exclusives,
        key=lambda spec: (*(-value for value in _estimate(spec, targets(spec), ctx, gifted)), -spec.priority, spec.code),
    )
    for spec in ranked:
        free = [line for line in targets(spec) if line.position not in claimed]
        if not free:
            losers[spec.code] = claimed[targets(spec)[0].position]
            continue
        for line in free:
            claimed[line.position] = spec
        allowed[spec.code] = free
    for spec in eligible:
        if spec.exclusive:
            continue
        free = [line for line in targets(spec) if line.position not in claimed]
        if free:
            allowed[spec.code] = free
        else:
            losers[spec.code] = claimed[targets(spec)[0].position]

    applied_specs: set[str] = set()
    for spec in eligible:
        if spec.code in losers:
            not_applied.append(_not_applied(spec, EXCLUSIVE, message("promotion.not_applied.exclusive", by=losers[spec.code].name)))
            continue
        lines = allowed[spec.code]
        before = {line.position: (line.discount, line.accrual_percent) for line in lines}
        extra = _apply_effects(spec, lines, ctx, gifted)
        gains = [line.discount - before[line.position][0] for line in lines]
        amount = sum(gains, ZERO)
        budget_cut = False
        left = spec.limits.budget_amount_left
        if left is not None and amount > left:
            # Only what remains of the budget: the discount cut to it, split as the effects split it.
            budget_cut = True
            cut = max(money_quantize(left, ctx.currency), ZERO)
            shares = split_money(cut, gains, ctx.currency, caps=gains) if cut > 0 else [ZERO] * len(lines)
            for line, gain, share in zip(lines, gains, shares):
                line.discount += share - gain
            amount = cut
        increments = {
            line.position: line.accrual_percent - before[line.position][1]
            for line in lines
            if line.accrual_percent != before[line.position][1]
        }
        if spec.block_accrual:
            for line in lines:
                line.accrual_allowed = False
        if spec.block_redemption:
            for line in lines:
                line.redemption_allowed = False
        unlocks = [effect for effect in spec.effects if isinstance(effect, Unlock)]
        acts = amount > 0 or (
            ctx.has_customer and (extra > 0 or bool(increments) or bool(unlocks) or spec.block_accrual or spec.block_redemption)
        )
        if not acts:
            for line in lines:  # undo rate changes of a promotion that gives nothing
                line.accrual_percent = before[line.position][1]
            if not ctx.has_customer and not any(isinstance(effect, MONEY_EFFECTS) for effect in spec.effects):
                not_applied.append(_not_applied(spec, AUDIENCE, message("promotion.not_applied.customer_required")))
            else:
                not_applied.append(_not_applied(spec, CONDITIONS, message("promotion.not_applied.conditions")))
            continue
        amount = money_quantize(amount, ctx.currency)
        entry = explained(
            {"kind": "promotion", "promotion": spec.code, "amount": str(amount), "points": 0},
            name=message("applied.promotion.name", name=spec.name),
            detail=_detail(spec, ctx.currency, budget_cut),
        )
        calc.applied.append(entry)
        applied_specs.add(spec.code)
        outcome._applied.append(_Applied(
            spec=spec,
            positions=tuple(line.position for line in lines),
            amount=amount,
            entry=entry,
            rate_increments=increments,
            extra_points=extra if ctx.has_customer else 0,
            codes=tuple(codes_by_promotion.get(spec.code, ())),
        ))
        if ctx.has_customer:
            outcome.offers.extend(
                OfferGrant(promotion=effect.promotion, days=effect.days, uses=effect.uses, source=spec.code) for effect in unlocks
            )

    # The draft's codes: applied when their promotion applied, else rejected with the reason.
    names = {spec.code: spec.name for spec in state.promotions}
    statuses = []
    seen: set[str] = set()
    for lookup in state.codes:
        key = lookup.code.upper()
        if key in seen:
            continue
        seen.add(key)
        if lookup.status == CODE_VALID and lookup.promotion in applied_specs:
            statuses.append(explained(
                {"kind": "code", "code": lookup.code, "status": "applied", "reason": None},
                name=message("applied.promotion.name", name=names.get(lookup.promotion, "")),
                detail=[message("promo_code.applied", promo_code=lookup.code, name=names.get(lookup.promotion, ""))],
            ))
            continue
        reason = lookup.reason if lookup.status != CODE_VALID and lookup.reason else "promo_code_not_applicable"
        outcome.rejected.append(CodeRejection(code=lookup.code, reason=reason))
        statuses.append(explained(
            {"kind": "code", "code": lookup.code, "status": "rejected", "reason": reason},
            name=message("applied.promotion.name", name=names.get(lookup.promotion or "", "")),
            detail=[message(f"promo_code.{reason}", promo_code=lookup.code)],
        ))
    if statuses:
        calc.extras["codes"] = [_code_shape(item) for item in statuses]
    if not_applied:
        calc.extras["not_applied"] = [_not_applied_shape(item) for item in not_applied]


def _code_shape(item: dict) -> dict:
    """`{"code", "status", "reason", "detail"}` (and `text` for screens in their reader's language)."""
    return {"code": item["code"], "status": item["status"], "reason": item["reason"], "detail": item["detail"], "text": {"detail": item["text"]["detail"]}}


def _not_applied_shape(item: dict) -> dict:
    """`{"promotion", "name", "reason", "detail"}` (and `text`)."""
    return {"promotion": item["promotion"], "name": item["name"], "reason": item["reason"], "detail": item["detail"], "text": item["text"]}


def _signed_split(total: int, exact: list[Decimal]) -> list[int]:
    """Whole numbers summing to `total`, each near its exact (possibly negative) share: floors, then
    the units left over one each to the largest fractional parts (or taken from the smallest)."""
    floors = [int(value.to_integral_value(rounding=ROUND_FLOOR)) for value in exact]
    left = total - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (exact[i] - floors[i], exact[i]), reverse=left > 0)
    step = 1 if left > 0 else -1
    index = 0
    while left != 0 and order:
        floors[order[index % len(order)]] += step
        left -= step
        index += 1
    return floors


def _take_points(calc: Calculation, positions: tuple[int, ...], points: int) -> int:
    """Take `points` back off the receipt (a budget cut): from the promotion's lines first, then
    from the others, by largest remainder over what each line earned."""
    left = points
    for group in (
        [calc.lines[position] for position in positions],
        [line for line in calc.lines if line.position not in positions],
    ):
        lines = [line for line in group if line.accrued_points > 0]
        take = min(left, sum(line.accrued_points for line in lines))
        if take <= 0:
            continue
        caps = [line.accrued_points for line in lines]
        for line, share in zip(lines, split_integer(take, [Decimal(cap) for cap in caps], caps)):
            line.accrued_points -= share
        left -= take
    calc.accrued_points -= points - left
    return points - left


def step_promotion_points(calc: Calculation, ctx: CheckoutContext) -> None:
    """Each promotion's points, fixed extra points, budgets on points (place `after_accrual`)."""
    outcome: PromotionsOutcome | None = calc.outcomes.get(NAME)
    if outcome is None:
        return
    if ctx.has_customer and outcome._applied:
        point_value = ctx.program.point_value
        accruing = [line for line in calc.lines if line.accrual_allowed and line.total > 0]
        base_rates = outcome._base_rates
        rate_changed = any(line.accrual_percent != base_rates[line.position] for line in accruing)
        if rate_changed:
            # Points at the rates the lines had before promotions, and each promotion's share of the rest.
            base_exact = [line.total * base_rates[line.position] / HUNDRED / point_value for line in accruing]
            base_points = int(sum(base_exact, ZERO).to_integral_value(rounding=ROUND_FLOOR))
            shares = [
                sum((calc.lines[p].total * inc / HUNDRED / point_value for p, inc in item.rate_increments.items()
                     if calc.lines[p].accrual_allowed and calc.lines[p].total > 0), ZERO)
                for item in outcome._applied
            ]
            for item, points in zip(outcome._applied, _signed_split(calc.accrued_points - base_points, shares)):
                item.points = points
            _restate_accrual(calc, ctx, accruing, base_exact, base_points)
        # Fixed extra points, on the promotion's lines that earn (else any line that earns).
        for item in outcome._applied:
            if item.extra_points <= 0:
                continue
            lines = [calc.lines[p] for p in item.positions if calc.lines[p].accrual_allowed] or [
                line for line in calc.lines if line.accrual_allowed
            ]
            if not lines:
                continue
            weights = [max(line.total, ZERO) for line in lines]
            if not any(weights):
                weights = [Decimal(1)] * len(lines)
            for line, share in zip(lines, split_integer(item.extra_points, weights)):
                line.accrued_points += share
            calc.accrued_points += item.extra_points
            item.points += item.extra_points
        # Budgets on points: only what remains.
        for item in outcome._applied:
            left = item.spec.limits.budget_points_left
            if left is not None and item.points > max(left, 0):
                item.points -= _take_points(calc, item.positions, item.points - max(left, 0))
                if message("applied.promotion.budget_cut") not in item.entry["text"]["detail"]:
                    updated = explained(
                        {key: value for key, value in item.entry.items() if key not in ("name", "detail", "text")},
                        name=item.entry["text"]["name"],
                        detail=[*item.entry["text"]["detail"], message("applied.promotion.budget_cut")],
                    )
                    item.entry.clear()
                    item.entry.update(updated)
    for item in outcome._applied:
        item.entry["points"] = item.points
        outcome.uses.append(PromotionUse(
            promotion=item.spec.code,
            amount=item.amount,
            points=item.points,
            codes=item.codes,
            offer=item.spec.audience.offer_only,
            stamp=item.spec.conditions.every_nth is not None,
        ))


def _restate_accrual(calc: Calculation, ctx: CheckoutContext, accruing: list[Line], base_exact: list[Decimal], base_points: int) -> None:
    """The accrual entries at the rates the lines had before promotions (the promotions' entries
    carry the rest), one per rate, named as loyalty's accrual step names them."""
    at = next((index for index, item in enumerate(calc.applied) if item.get("kind") == "accrual"), len(calc.applied))
    calc.applied[:] = [item for item in calc.applied if item.get("kind") != "accrual"]
    if base_points <= 0:
        return
    base_rates = calc.outcomes[NAME]._base_rates
    per_line = split_integer(base_points, base_exact)
    by_rate: dict[Decimal, list[int]] = {}
    for index, line in enumerate(accruing):
        by_rate.setdefault(base_rates[line.position], []).append(index)
    program_rate = ctx.program.accrual_percent
    entries = []
    for rate, indexes in sorted(by_rate.items(), key=lambda item: item[0] != program_rate):
        paid = sum((accruing[i].total for i in indexes), ZERO)
        points = sum(per_line[i] for i in indexes)
        if rate in calc.rate_names:
            name = calc.rate_names[rate]
        elif rate == program_rate:
            name = message("applied.base_accrual", rate=fmt_percent(rate))
        else:
            name = message("applied.accrual", rate=fmt_percent(rate))
        entries.append(explained(
            {"kind": "accrual", "points": points},
            name=name, detail=[message("applied.accrual.detail", rate=fmt_percent(rate), paid=str(paid))],
        ))
    calc.applied[at:at] = entries

"""What referrals add to the pure checkout calculation: the friend's extra accrual on their first
purchases, and the rewards a friend's purchase earns the customers who brought them.

The step reads only `ctx.extras["referrals"]` (gathered by referrals.checkout_referrals.referrals_load)
and hands what to credit to the after-commit writer through `calc.outcomes["referrals"]`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from loyalty.checkout import Calculation, CheckoutContext, explained, fmt_percent
from loyalty.money import points_from_money, split_integer
from loyalty.texts import message

NAME = "referrals"
ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class Beneficiary:
    """A customer a friend's purchase rewards: level 1 the referrer, level 2 the referrer's referrer."""

    customer_id: object
    level: int
    label: str  # "Alexander ••45"
    percent: Decimal
    earned_this_month: int
    first_purchase_bonus: int = 0  # the referrer's bonus when it is paid on the friend's first purchase


@dataclass(frozen=True)
class ReferralState:
    extra_percent: Decimal
    extra_purchases: int | None  # null = every purchase
    percent_purchases: int | None  # the referrers' share on the first N purchases; null = every one
    purchases_before: int
    monthly_cap: int | None
    beneficiaries: tuple[Beneficiary, ...] = ()
    # What the loader already read and locked, for the after-commit writer (never read by the step):
    # {customer id: (Customer, PointsAccount or None)}.
    rows: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class Reward:
    beneficiary_id: object
    level: int
    kind: str  # "join" (first-purchase bonus) or "purchase"
    points: int
    capped: int


@dataclass
class ReferralOutcome:
    rewards: list[Reward] = field(default_factory=list)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def step_referrals(calc: Calculation, ctx: CheckoutContext) -> None:
    """Place `after_accrual`: the friend's extra (part of accrued_points, its own `applied` entry), then one
    `referrer_reward` entry per beneficiary (not part of accrued_points), each rounded down on its own."""
    state: ReferralState | None = ctx.extras.get(NAME)
    if state is None or not ctx.has_customer:
        return
    point_value = ctx.program.point_value
    lines = [line for line in calc.lines if line.accrual_allowed and line.total > 0]
    paid = sum((line.total for line in lines), ZERO)
    nth = state.purchases_before + 1

    if state.extra_percent > 0 and paid > 0 and (state.extra_purchases is None or state.purchases_before < state.extra_purchases):
        exact = [line.total * state.extra_percent / HUNDRED / point_value for line in lines]
        points = points_from_money(sum(exact, ZERO))
        if points > 0:
            for line, share in zip(lines, split_integer(points, exact)):
                line.accrued_points += share
            calc.accrued_points += points
            rate = fmt_percent(state.extra_percent)
            detail = (message("applied.referee_extra.detail", rate=rate, paid=str(paid), nth=nth, of=state.extra_purchases)
                      if state.extra_purchases is not None else message("applied.referee_extra.detail_all", rate=rate, paid=str(paid)))
            calc.applied.append(explained({"kind": "referee_extra", "points": points},
                                          name=message("applied.referee_extra.name", rate=rate), detail=[detail]))

    outcome = ReferralOutcome()
    share_applies = state.percent_purchases is None or state.purchases_before < state.percent_purchases
    for beneficiary in state.beneficiaries:
        earned = beneficiary.earned_this_month
        details = []
        total = held = 0
        parts = []
        if beneficiary.first_purchase_bonus > 0:
            parts.append(("join", beneficiary.first_purchase_bonus,
                          message("applied.referrer_reward.first_purchase", points=beneficiary.first_purchase_bonus)))
        if share_applies and beneficiary.percent > 0 and paid > 0:
            points = _floor(paid * beneficiary.percent / HUNDRED / point_value)
            if points > 0:
                parts.append(("purchase", points, message("applied.referrer_reward.percent", rate=fmt_percent(beneficiary.percent), paid=str(paid))))
        for kind, points, detail in parts:
            if state.monthly_cap is not None:
                credited = max(min(points, state.monthly_cap - earned), 0)
            else:
                credited = points
            earned += credited
            total += credited
            held += points - credited
            details.append(detail)
            outcome.rewards.append(Reward(beneficiary_id=beneficiary.customer_id, level=beneficiary.level, kind=kind, points=credited,
                                          capped=points - credited))
        if not parts:
            continue
        if held:
            details.append(message("applied.referrer_reward.capped", capped=held))
        code = "applied.referrer_reward.name" if beneficiary.level == 1 else "applied.referrer_reward.second_level"
        item = {"kind": "referrer_reward", "points": total, "beneficiary": beneficiary.label, "level": beneficiary.level}
        if held:
            item["not_credited"] = held
        calc.applied.append(explained(item, name=message(code, beneficiary=beneficiary.label), detail=details))
    if outcome.rewards:
        calc.outcomes[NAME] = outcome

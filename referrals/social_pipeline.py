"""What agents plug into the checkout: a loader (the client's tie, one query), a discount step like the
tier's, the agent's reward on the money paid, its writer inside the commit and its reversal on returns.

Steps are pure: they read `ctx.extras["agents"]` and write `calc.outcomes["agents"]`.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from loyalty.checkout import HUNDRED, ZERO, Calculation, CheckoutContext, explained, fmt_percent
from loyalty.extensions import CommitRecord, LoadRequest, RefundRecord
from loyalty.money import money_quantize, points_from_money, split_money
from loyalty.texts import masked_name, message

NAME = "agents"


@dataclass(frozen=True)
class AgentState:
    agent: str  # the agent's customer id
    beneficiary: str  # "Name ••45"
    discount_percent: Decimal
    points_percent: Decimal


@dataclass(frozen=True)
class AgentReward:
    agent: str
    points: int


def agents_load(request: LoadRequest) -> AgentState | None:
    """The client's agent and split, or None (no customer, no agent)."""
    if request.customer is None:
        return None
    from referrals.models import AgentClient
    from referrals.services.agents import tie_split

    tie = AgentClient.objects.filter(merchant=request.merchant, client=request.customer).select_related("agent__customer").first()
    if tie is None:
        return None
    discount, points = tie_split(tie)
    return AgentState(agent=str(tie.agent.customer_id), beneficiary=masked_name(tie.agent.customer), discount_percent=discount,
                      points_percent=points)


def step_agent_discount(calc: Calculation, ctx: CheckoutContext) -> None:
    """The client's discount from their agent's split, on what the lines cost after the tier's."""
    state = ctx.extras.get(NAME)
    if state is None or state.discount_percent <= 0:
        return
    lines = [line for line in calc.lines if line.net > 0]
    base = sum((line.net for line in lines), ZERO)
    discount = money_quantize(base * state.discount_percent / HUNDRED, ctx.currency)
    if discount <= 0:
        return
    shares = split_money(discount, [line.net for line in lines], ctx.currency, caps=[line.net for line in lines])
    for line, share in zip(lines, shares):
        line.discount += share
    rate = fmt_percent(state.discount_percent)
    calc.applied.append(explained(
        {"kind": "agent_discount", "amount": str(discount)},
        name=message("applied.agent_discount.name", rate=rate),
        detail=[message("applied.agent_discount.detail", rate=rate, base=str(base))],
    ))


def step_agent_reward(calc: Calculation, ctx: CheckoutContext) -> None:
    """The agent's points on the money paid (rounded down); not part of the receipt's accrued_points."""
    state = ctx.extras.get(NAME)
    if state is None or state.points_percent <= 0 or calc.total <= 0:
        return
    points = points_from_money(calc.total * state.points_percent / HUNDRED / ctx.program.point_value)
    if points <= 0:
        return
    rate = fmt_percent(state.points_percent)
    calc.applied.append(explained(
        {"kind": "agent_reward", "points": points, "beneficiary": state.beneficiary},
        name=message("applied.agent_reward.name", beneficiary=state.beneficiary),
        detail=[message("applied.agent_reward.detail", rate=rate, paid=str(calc.total))],
    ))
    calc.outcomes[NAME] = AgentReward(agent=state.agent, points=points)


def agents_after_commit(record: CommitRecord) -> None:
    reward = record.calculation.outcomes.get(NAME)
    if reward is None or record.customer is None:
        return
    from referrals.services.agents import agent_reward_write

    agent_reward_write(merchant=record.merchant, client=record.customer, agent_id=reward.agent, points=reward.points, receipt=record.receipt)


def agents_after_refund(record: RefundRecord) -> None:
    from referrals.services.agents import agent_reward_reverse

    agent_reward_reverse(merchant=record.merchant, receipt=record.receipt, refund=record.refund, fully_returned=record.fully_returned)

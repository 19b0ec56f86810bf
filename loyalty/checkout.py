"""The checkout pipeline: one pure calculation that prices a receipt draft.

`calculate(draft, context)` reads nothing from the database and writes nothing: the caller gathers
the customer's state and the program into a `CheckoutContext` once, and the steps in `STEPS` run in
order over the lines. Each step is a small function that adjusts line figures and appends what it
did to `applied`. Other apps plug in further steps at named places (loyalty.extensions); the cashier screen,
the POS API and the tests all price through here, and `receipt_commit` runs the same function under
the customer's lock before writing.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.errors import ApplicationError
from loyalty.money import money_quantize, points_from_money, quantity_text, split_integer, split_money
from loyalty.texts import message, message_render

ZERO = Decimal("0")
HUNDRED = Decimal("100")


@dataclass(frozen=True)
class DraftLine:
    sku: str
    quantity: Decimal
    price: Decimal
    name: str = ""
    category: str = ""


@dataclass(frozen=True)
class Draft:
    lines: tuple[DraftLine, ...]
    purchased_at: datetime
    redeem_points: int | str = 0  # an integer, or "max"
    promo_codes: tuple[str, ...] = ()
    explain: bool = False  # the API's `explain: true`: also say which promotions did not apply, and why


@dataclass(frozen=True)
class ProgramRules:
    accrual_percent: Decimal
    max_redeem_percent: Decimal
    point_value: Decimal
    # A receipt whose subtotal is larger is refused; None = no limit.
    max_receipt_amount: Decimal | None = None


@dataclass(frozen=True)
class TierRules:
    """The customer's tier as the pipeline sees it; None rates fall back to the program's."""

    code: str
    name: str
    accrual_percent: Decimal | None
    max_redeem_percent: Decimal | None
    discount_percent: Decimal


@dataclass(frozen=True)
class CheckoutContext:
    """Everything the calculation may depend on, gathered once by the caller."""

    currency: str
    language: str
    program: ProgramRules
    has_customer: bool
    # Points the customer can spend now: active lots not past expiry, less refund debt.
    spendable_points: int = 0
    debt: int = 0
    tier: TierRules | None = None
    # False for a customer who shares another's account without the right to spend it (a family member).
    may_redeem: bool = True
    # Filled by later mechanics (tiers, promotions); steps read what they need from here.
    extras: dict = field(default_factory=dict)
    # False: the figures only. `applied` entries keep their codes and parameters under `text` but their
    # `name` and `detail` are left empty, and nothing is translated (a back-test pricing many receipts).
    render_texts: bool = True


@dataclass
class Line:
    """A line as it moves through the steps. Flags say which mechanics may act on it."""

    position: int
    sku: str
    name: str
    category: str
    quantity: Decimal
    price: Decimal
    amount: Decimal
    discount: Decimal = ZERO
    accrual_allowed: bool = True
    redemption_allowed: bool = True
    accrual_percent: Decimal = ZERO
    redeemed_points: int = 0
    redeemed_amount: Decimal = ZERO
    total: Decimal = ZERO
    accrued_points: int = 0

    @property
    def net(self) -> Decimal:
        """What the line costs after discounts, before points pay for part of it."""
        return self.amount - self.discount


@dataclass
class Calculation:
    lines: list[Line]
    currency: str
    redeem_request: int | str
    max_redeem_percent: Decimal
    subtotal: Decimal = ZERO
    discount: Decimal = ZERO
    redeemed_points: int = 0
    redeemed_amount: Decimal = ZERO
    total: Decimal = ZERO
    accrued_points: int = 0
    max_redeem_points: int = 0
    applied: list[dict] = field(default_factory=list)
    # Names of accrual rates set by steps (a tier's rate), for the explanation: loyalty.texts messages.
    rate_names: dict = field(default_factory=dict)
    cap_note: dict | None = None
    # Further top-level keys of the API shape added by plugged-in steps (e.g. "codes", "not_applied"):
    # each a list of dicts, rendered by as_dict only when present, without their `text`.
    extras: dict = field(default_factory=dict)
    # What plugged-in steps hand to their app's after-commit writer, by app name; never rendered.
    outcomes: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The API shape: money as strings at the currency's precision, points as integers."""
        def money(value: Decimal) -> str:
            return str(money_quantize(value, self.currency))

        return {
            "subtotal": money(self.subtotal),
            "discount": money(self.discount),
            "redeemed_points": self.redeemed_points,
            "redeemed_amount": money(self.redeemed_amount),
            "total": money(self.total),
            "accrued_points": self.accrued_points,
            "max_redeem_points": self.max_redeem_points,
            "lines": [
                {
                    "sku": line.sku,
                    "name": line.name,
                    "category": line.category,
                    "quantity": quantity_text(line.quantity),
                    "price": str(line.price),
                    "amount": money(line.amount),
                    "discount": money(line.discount),
                    "redeemed_points": line.redeemed_points,
                    "redeemed_amount": money(line.redeemed_amount),
                    "total": money(line.total),
                    "accrued_points": line.accrued_points,
                }
                for line in self.lines
            ],
            "applied": [{key: value for key, value in item.items() if key != "text"} for item in self.applied],
            **{
                key: [{name: value for name, value in item.items() if name != "text"} for item in items]
                for key, items in self.extras.items()
            },
        }


Step = Callable[[Calculation, CheckoutContext], None]

# Whether `explained` renders `name` and `detail` now: False inside a calculation whose context says
# `render_texts=False`.
_render_texts: ContextVar[bool] = ContextVar("checkout_render_texts", default=True)


def explained(item: dict, *, name: dict, detail: list[dict]) -> dict:
    """An `applied` entry: `name` and `detail` in the active language (the context's), and under
    `text` the messages they come from, so a screen renders them in its reader's language
    (loyalty.texts.applied_render; the API's `applied` drops `text`). Inside a calculation that
    renders no texts, `name` and `detail` are empty."""
    if not _render_texts.get():
        return {"kind": item["kind"], "name": "", "detail": "", **{key: value for key, value in item.items() if key != "kind"},
                "text": {"name": name, "detail": detail}}
    parts = [message_render(part) for part in detail]
    return {
        "kind": item["kind"],
        "name": message_render(name),
        "detail": " · ".join(part for part in parts if part),
        **{key: value for key, value in item.items() if key != "kind"},
        "text": {"name": name, "detail": detail},
    }


def fmt_percent(value: Decimal) -> str:
    """7.00 → "7", 2.50 → "2.5": how a percentage reads in an explanation."""
    return f"{value.normalize():f}"


def step_price_lines(calc: Calculation, ctx: CheckoutContext) -> None:
    """Line amounts at the currency's precision and the program's base accrual rate on each."""
    for line in calc.lines:
        line.amount = money_quantize(line.quantity * line.price, ctx.currency)
        line.accrual_percent = ctx.program.accrual_percent
    calc.subtotal = sum((line.amount for line in calc.lines), ZERO)


def step_receipt_limit(calc: Calculation, ctx: CheckoutContext) -> None:
    """Refuse a receipt above the program's limit, before anything is discounted or paid with points.

    Raises:
        ApplicationError: receipt_over_limit.
    """
    limit = ctx.program.max_receipt_amount
    if limit is not None and calc.subtotal > limit:
        raise ApplicationError(
            "receipt_over_limit",
            _("The receipt comes to %(subtotal)s; the program accepts receipts up to %(limit)s.")
            % {"subtotal": money_quantize(calc.subtotal, ctx.currency), "limit": money_quantize(limit, ctx.currency)},
            fields={"lines": [_("The receipt is above the limit of %(limit)s.") % {"limit": money_quantize(limit, ctx.currency)}]},
        )


def step_tier(calc: Calculation, ctx: CheckoutContext) -> None:
    """The customer's tier: its discount on the lines, its accrual rate and redemption cap."""
    tier = ctx.tier
    if tier is None:
        return
    if tier.discount_percent > 0:
        lines = [line for line in calc.lines if line.net > 0]
        base = sum((line.net for line in lines), ZERO)
        discount = money_quantize(base * tier.discount_percent / HUNDRED, ctx.currency)
        if discount > 0:
            shares = split_money(discount, [line.net for line in lines], ctx.currency, caps=[line.net for line in lines])
            for line, share in zip(lines, shares):
                line.discount += share
            rate = fmt_percent(tier.discount_percent)
            calc.applied.append(explained(
                {"kind": "tier_discount", "amount": str(discount)},
                name=message("applied.tier_discount.name", tier=tier.name, rate=rate),
                detail=[message("applied.tier_discount.detail", rate=rate, base=str(base))],
            ))
    if tier.accrual_percent is not None and tier.accrual_percent != ctx.program.accrual_percent:
        for line in calc.lines:
            line.accrual_percent = tier.accrual_percent
        calc.rate_names[tier.accrual_percent] = message(
            "applied.tier_rate", tier=tier.name, rate=fmt_percent(tier.accrual_percent), base=fmt_percent(ctx.program.accrual_percent)
        )
    if tier.max_redeem_percent is not None and tier.max_redeem_percent != calc.max_redeem_percent:
        calc.max_redeem_percent = tier.max_redeem_percent
        calc.cap_note = message("applied.tier_cap", tier=tier.name, rate=fmt_percent(tier.max_redeem_percent))


def step_totals_before_redemption(calc: Calculation, ctx: CheckoutContext) -> None:
    calc.discount = sum((line.discount for line in calc.lines), ZERO)


def points_available_message(*, balance: int, asked: int) -> str:
    return ngettext(
        "The customer has %(balance)d point available; %(asked)d were asked for.",
        "The customer has %(balance)d points available; %(asked)d were asked for.",
        balance,
    ) % {"balance": balance, "asked": asked}


def step_redemption(calc: Calculation, ctx: CheckoutContext) -> None:
    """Pay part of the receipt with points, within the balance and the cap.

    The cap is a share of what the redeemable lines cost after discounts; no line is paid with
    more points than it costs. Points are split across lines in whole points by largest remainder.

    Raises:
        ApplicationError: insufficient_points (more than the balance, or refund debt outstanding),
            redeem_over_cap (within the balance but over the cap), customer_required.
    """
    point_value = ctx.program.point_value
    redeemable = [line for line in calc.lines if line.redemption_allowed and line.net > 0]
    base = sum((line.net for line in redeemable), ZERO)
    capacities = [points_from_money(line.net / point_value) for line in redeemable]
    by_cap = points_from_money(base * calc.max_redeem_percent / HUNDRED / point_value)
    balance = max(ctx.spendable_points, 0)
    calc.max_redeem_points = max(min(balance, by_cap, sum(capacities)), 0) if ctx.has_customer and ctx.debt == 0 and ctx.may_redeem else 0

    request = calc.redeem_request
    if request == "max":
        points = calc.max_redeem_points
    else:
        points = int(request)
    if points <= 0:
        return
    if not ctx.has_customer:
        raise ApplicationError("customer_required", _("Points can only be redeemed by an identified customer."))
    if not ctx.may_redeem:
        raise ApplicationError("redeem_not_allowed", _("This customer shares an account and may not spend its points."))
    if ctx.debt > 0:
        raise ApplicationError(
            "insufficient_points",
            ngettext(
                "The customer owes %(debt)d point from a return; points cannot be redeemed until it is repaid.",
                "The customer owes %(debt)d points from a return; points cannot be redeemed until it is repaid.",
                ctx.debt,
            ) % {"debt": ctx.debt},
        )
    if points > ctx.spendable_points:
        raise ApplicationError(
            "insufficient_points",
            points_available_message(balance=ctx.spendable_points, asked=points),
        )
    if points > calc.max_redeem_points:
        raise ApplicationError(
            "redeem_over_cap",
            ngettext(
                "At most %(max)d point can be redeemed on this receipt.",
                "At most %(max)d points can be redeemed on this receipt.",
                calc.max_redeem_points,
            ) % {"max": calc.max_redeem_points},
        )
    shares = split_integer(points, [line.net for line in redeemable], capacities)
    for line, share in zip(redeemable, shares):
        line.redeemed_points = share
        line.redeemed_amount = money_quantize(share * point_value, calc.currency)
    calc.redeemed_points = points
    calc.redeemed_amount = sum((line.redeemed_amount for line in calc.lines), ZERO)
    calc.applied.append(explained(
        {"kind": "redemption", "points": points, "amount": str(calc.redeemed_amount)},
        name=message("applied.redemption.name"),
        detail=[message("applied.redemption.detail", points=points, value=str(point_value)), *filter(None, [calc.cap_note])],
    ))


def step_accrual(calc: Calculation, ctx: CheckoutContext) -> None:
    """Accrue points on the money paid, per line at its rate, rounded down once for the receipt."""
    for line in calc.lines:
        line.total = line.net - line.redeemed_amount
    calc.total = sum((line.total for line in calc.lines), ZERO)
    if not ctx.has_customer:
        return
    point_value = ctx.program.point_value
    exact = [
        line.total * line.accrual_percent / HUNDRED / point_value if line.accrual_allowed and line.total > 0 else ZERO
        for line in calc.lines
    ]
    points = points_from_money(sum(exact, ZERO))
    if points <= 0:
        return
    for line, share in zip(calc.lines, split_integer(points, exact)):
        line.accrued_points = share
    calc.accrued_points = points
    # One explanation per rate, so a tier or promotion rate on some lines reads on its own.
    by_rate: dict[Decimal, list[int]] = {}
    for index, line in enumerate(calc.lines):
        if line.accrued_points or exact[index] > 0:
            by_rate.setdefault(line.accrual_percent, []).append(index)
    base_rate = ctx.program.accrual_percent
    for rate, indexes in sorted(by_rate.items(), key=lambda item: item[0] != base_rate):
        paid = sum((calc.lines[i].total for i in indexes), ZERO)
        rate_points = sum(calc.lines[i].accrued_points for i in indexes)
        if rate in calc.rate_names:
            name = calc.rate_names[rate]
        elif rate == base_rate:
            name = message("applied.base_accrual", rate=fmt_percent(rate))
        else:
            name = message("applied.accrual", rate=fmt_percent(rate))
        calc.applied.append(explained(
            {"kind": "accrual", "points": rate_points},
            name=name, detail=[message("applied.accrual.detail", rate=fmt_percent(rate), paid=str(paid))],
        ))


# The order matters: discounts (tier, later promotions) go between pricing and the discount total,
# redemption needs discounted lines, accrual needs what is paid in money.
STEPS: list[Step] = [step_price_lines, step_receipt_limit, step_tier, step_totals_before_redemption, step_redemption, step_accrual]


def _pipeline() -> list[Step]:
    # loyalty.extensions builds on this module; imported here so the two modules can load in any order.
    from loyalty.extensions import pipeline_steps

    return pipeline_steps()


def calculate(draft: Draft, ctx: CheckoutContext, steps: list[Step] | None = None) -> Calculation:
    """Price `draft` for the customer and program in `ctx`. Pure: no database reads or writes.

    `steps` defaults to `loyalty.extensions.pipeline_steps()`: loyalty's own `STEPS` with the steps
    other apps registered inserted at their places."""
    calc = Calculation(
        lines=[
            Line(
                position=index,
                sku=line.sku,
                name=line.name,
                category=line.category,
                quantity=line.quantity,
                price=line.price,
                amount=ZERO,
            )
            for index, line in enumerate(draft.lines)
        ],
        currency=ctx.currency,
        redeem_request=draft.redeem_points,
        max_redeem_percent=ctx.program.max_redeem_percent,
    )
    steps = steps if steps is not None else _pipeline()
    token = _render_texts.set(ctx.render_texts)
    try:
        if ctx.render_texts:
            with translation.override(ctx.language):
                for step in steps:
                    step(calc, ctx)
        else:
            for step in steps:
                step(calc, ctx)
    finally:
        _render_texts.reset(token)
    return calc

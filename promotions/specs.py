"""A promotion as the checkout pipeline reads it, and the state its steps are given.

`PromotionSpec` mirrors the API's promotion JSON field by field (see the API contract, "Promotions"),
frozen and typed: money as `Decimal`, points as `int`, times as aware datetimes. The loader compiles
rows into specs (`spec_from_dict` parses the API shape) and computes what remains of each limit; the
steps in `promotions.pipeline` read only these dataclasses, never the database.

`PromotionsState` is what the loader puts in `ctx.extras["promotions"]` once per calculation.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone as dt_timezone
from decimal import Decimal
from typing import ClassVar, Mapping


# ---------------------------------------------------------------- the promotion


@dataclass(frozen=True)
class WeeklyWindow:
    """`{"days": [5], "from": "18:00", "to": "20:00"}`: ISO weekdays (1 = Monday), `from` inclusive,
    `to` exclusive, as minutes since local midnight ("24:00" = 1440). `from` is a Python keyword, so
    the fields are `from_` and `to`."""

    days: tuple[int, ...]
    from_: int
    to: int

    def holds(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and self.from_ <= minute < self.to


@dataclass(frozen=True)
class Audience:
    tiers: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()  # customer ids (the API's opaque ids)
    offer_only: bool = False

    @property
    def restricted(self) -> bool:
        return bool(self.tiers or self.segments or self.customers or self.offer_only)


@dataclass(frozen=True)
class EveryNth:
    """A stamp card: the `n`-th purchase within the last `days` days (None: all time) is rewarded."""

    n: int
    days: int | None = None


@dataclass(frozen=True)
class Conditions:
    min_subtotal: Decimal | None = None
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    min_quantity: Decimal | None = None  # None: 1 unit of `skus`/`categories`
    previous_purchase_min: Decimal | None = None
    first_purchase: bool = False
    every_nth: EveryNth | None = None
    code_required: bool = False


@dataclass(frozen=True)
class Target:
    skus: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()

    def matches(self, sku: str, category: str) -> bool:
        if not self.skus and not self.categories:
            return True
        return sku in self.skus or (bool(category) and category in self.categories)


# Effects: one small class per `type`; `value` as the API gives it, typed.


@dataclass(frozen=True)
class PercentOff:
    type: ClassVar[str] = "percent_off"
    value: Decimal


@dataclass(frozen=True)
class AmountOff:
    type: ClassVar[str] = "amount_off"
    value: Decimal


@dataclass(frozen=True)
class FixedPrice:
    type: ClassVar[str] = "fixed_price"
    value: Decimal


@dataclass(frozen=True)
class PointsMultiplier:
    type: ClassVar[str] = "points_multiplier"
    value: Decimal


@dataclass(frozen=True)
class ExtraPointsPercent:
    type: ClassVar[str] = "extra_points_percent"
    value: Decimal


@dataclass(frozen=True)
class ExtraPoints:
    type: ClassVar[str] = "extra_points"
    value: int


@dataclass(frozen=True)
class Unlock:
    type: ClassVar[str] = "unlock"
    promotion: str
    days: int | None = None
    uses: int | None = None


Effect = PercentOff | AmountOff | FixedPrice | PointsMultiplier | ExtraPointsPercent | ExtraPoints | Unlock
EFFECT_TYPES: dict[str, type] = {
    cls.type: cls for cls in (PercentOff, AmountOff, FixedPrice, PointsMultiplier, ExtraPointsPercent, ExtraPoints, Unlock)
}
MONEY_EFFECTS = (PercentOff, AmountOff, FixedPrice)
RATE_EFFECTS = (PointsMultiplier, ExtraPointsPercent)


@dataclass(frozen=True)
class Limits:
    """The configured limits (None: no limit) and what REMAINS of each for this calculation.

    The loader computes the remainders from the counters (`*_left`); the steps judge only those.
    """

    per_customer: int | None = None
    total_uses: int | None = None
    budget_amount: Decimal | None = None
    budget_points: int | None = None
    per_customer_left: int | None = None  # receipts this customer may still use it on
    total_uses_left: int | None = None
    budget_amount_left: Decimal | None = None
    budget_points_left: int | None = None


@dataclass(frozen=True)
class PromotionSpec:
    code: str
    name: str
    effects: tuple[Effect, ...]
    priority: int = 0
    exclusive: bool = False
    active: bool = True
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    weekly: tuple[WeeklyWindow, ...] = ()
    audience: Audience = field(default_factory=Audience)
    conditions: Conditions = field(default_factory=Conditions)
    target: Target = field(default_factory=Target)
    block_accrual: bool = False
    block_redemption: bool = False
    limits: Limits = field(default_factory=Limits)

    @property
    def order_key(self) -> tuple:
        """Higher priority first, ties by code."""
        return (-self.priority, self.code)


# ---------------------------------------------------------------- parsing the API shape


def _decimal(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _int(value) -> int | None:
    return None if value is None or value == "" else int(value)


def _datetime(value) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt_timezone.utc)


def _minutes(value: str) -> int:
    hours, minutes = str(value).split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _left(limit, used):
    if limit is None:
        return None
    return max(limit - used, type(limit)(0))


def effect_from_dict(data: dict) -> Effect:
    kind = data["type"]
    if kind == "unlock":
        return Unlock(promotion=data["promotion"], days=_int(data.get("days")), uses=_int(data.get("uses")))
    if kind == "extra_points":
        return ExtraPoints(value=int(Decimal(str(data["value"]))))
    return EFFECT_TYPES[kind](value=Decimal(str(data["value"])))


def spec_from_dict(data: dict, *, customer_uses: int = 0) -> PromotionSpec:
    """A spec from the API's promotion JSON (already validated).

    The read-only counters `uses`, `spent_amount` and `spent_points` give what remains of
    `total_uses`, `budget_amount` and `budget_points`; `customer_uses` (receipts of the customer
    this promotion was used on) gives what remains of `per_customer`.
    """
    audience = data.get("audience") or {}
    conditions = data.get("conditions") or {}
    target = data.get("target") or {}
    limits = data.get("limits") or {}
    every_nth = conditions.get("every_nth")
    per_customer = _int(limits.get("per_customer"))
    total_uses = _int(limits.get("total_uses"))
    budget_amount = _decimal(limits.get("budget_amount"))
    budget_points = _int(limits.get("budget_points"))
    return PromotionSpec(
        code=data["code"],
        name=data["name"],
        effects=tuple(effect_from_dict(effect) for effect in data["effects"]),
        priority=int(data.get("priority") or 0),
        exclusive=bool(data.get("exclusive", False)),
        active=bool(data.get("active", True)),
        starts_at=_datetime(data.get("starts_at")),
        ends_at=_datetime(data.get("ends_at")),
        weekly=tuple(
            WeeklyWindow(days=tuple(int(day) for day in window["days"]), from_=_minutes(window["from"]), to=_minutes(window["to"]))
            for window in data.get("weekly") or ()
        ),
        audience=Audience(
            tiers=tuple(audience.get("tiers") or ()),
            segments=tuple(audience.get("segments") or ()),
            customers=tuple(str(customer) for customer in audience.get("customers") or ()),
            offer_only=bool(audience.get("offer_only", False)),
        ),
        conditions=Conditions(
            min_subtotal=_decimal(conditions.get("min_subtotal")),
            skus=tuple(conditions.get("skus") or ()),
            categories=tuple(conditions.get("categories") or ()),
            min_quantity=_decimal(conditions.get("min_quantity")),
            previous_purchase_min=_decimal(conditions.get("previous_purchase_min")),
            first_purchase=bool(conditions.get("first_purchase", False)),
            every_nth=EveryNth(n=int(every_nth["n"]), days=_int(every_nth.get("days"))) if every_nth else None,
            code_required=bool(conditions.get("code_required", False)),
        ),
        target=Target(skus=tuple(target.get("skus") or ()), categories=tuple(target.get("categories") or ())),
        block_accrual=bool(data.get("block_accrual", False)),
        block_redemption=bool(data.get("block_redemption", False)),
        limits=Limits(
            per_customer=per_customer,
            total_uses=total_uses,
            budget_amount=budget_amount,
            budget_points=budget_points,
            per_customer_left=_left(per_customer, customer_uses),
            total_uses_left=_left(total_uses, int(data.get("uses") or 0)),
            budget_amount_left=_left(budget_amount, _decimal(data.get("spent_amount")) or Decimal("0")),
            budget_points_left=_left(budget_points, int(data.get("spent_points") or 0)),
        ),
    )


# ---------------------------------------------------------------- the state the loader gathers


@dataclass(frozen=True)
class Offer:
    """A live personal offer the customer holds: `uses_left` receipts (None: until `ends_at`)."""

    promotion: str
    uses_left: int | None = None
    ends_at: datetime | None = None

    def live_at(self, moment: datetime) -> bool:
        return (self.uses_left is None or self.uses_left > 0) and (self.ends_at is None or moment < self.ends_at)


CODE_VALID = "valid"
CODE_REJECTED = "rejected"
CODE_REASONS = ("promo_code_unknown", "promo_code_expired", "promo_code_used", "promo_code_not_yours", "promo_code_not_applicable")


@dataclass(frozen=True)
class CodeLookup:
    """A code on the draft as the loader found it: `valid` (with its promotion), or `rejected` with a
    reason (`promo_code_unknown`, `_expired`, `_used`, `_not_yours`). `code` is as typed on the draft;
    `promo_code_not_applicable` is decided by the step, when the promotion's other rules fail."""

    code: str
    status: str = CODE_VALID
    promotion: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Gift:
    """An open material gift: lines with `sku` get up to `quantity` units free."""

    id: str
    name: str
    sku: str
    quantity: Decimal


@dataclass(frozen=True)
class PromotionsState:
    """What the loader puts in `ctx.extras["promotions"]`, once per calculation."""

    promotions: tuple[PromotionSpec, ...]  # live candidates: active, in the merchant
    purchased_at: datetime  # the draft's, judged in `timezone`
    timezone: str = "UTC"  # the merchant's, an IANA name
    customer: str | None = None  # the customer's id; None for an anonymous sale
    tier: str | None = None  # the customer's recorded tier code
    segments: frozenset[str] = frozenset()
    offers: Mapping[str, Offer] = field(default_factory=dict)  # promotion code → live offer held
    stamps: Mapping[str, int] = field(default_factory=dict)  # promotion code → stamps counted so far
    previous_purchase: Decimal | None = None  # cost of the latest earlier receipt, None if none
    first_purchase: bool = False  # no earlier receipt that was not fully returned
    codes: tuple[CodeLookup, ...] = ()  # the draft's promo codes, in its order
    gifts: tuple[Gift, ...] = ()  # open gifts of the customer

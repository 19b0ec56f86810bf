"""Segment rules: checked once (`rules_clean`, errors keyed by the path of the bad part) and compiled to
one Django `Q` over the merchant's customers (`rules_q`).

Rules nest `all` / `any` groups of conditions `{"field", "op", "value"}` (and `days` for the fields that
count receipts). Every condition compiles to a column filter, an `Exists` or a `pk IN (subquery)`: the
whole segment is one SQL query, whatever its size; no customer is ever looked at in Python.

Counting: receipts not fully returned, their cost net of returns (subtotal - discount - returned cost),
like the tier conditions. Days are the merchant's calendar days; `days` windows are the last N × 24 hours.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext as _

from accounts.inputs import InputError, decimal_parse, integer_parse
from loyalty.models import Lot, PointsAccount, Receipt, ReceiptLine
from referrals.models import InviteSignup

OPS = ("eq", "in", "gte", "lte", "between")
NUMBER_OPS = OPS
MONEY_OPS = ("eq", "gte", "lte", "between")
SET_OPS = ("eq", "in")
CONSENTS = ("email", "sms", "push")
GENDERS = ("m", "f")
MAX_DEPTH = 6
MAX_CONDITIONS = 100
MAX_VALUES = 500
MAX_TEXT = 100
MAX_DAYS = 36500
MAX_NUMBER = 10**9


@dataclass(frozen=True)
class FieldSpec:
    kind: str  # number, money, choice, text
    ops: tuple[str, ...]
    days: bool = False  # takes an optional `days` window
    choices: tuple[str, ...] = ()
    signed: bool = False  # a number that may be negative


FIELDS: dict[str, FieldSpec] = {
    "gender": FieldSpec("choice", SET_OPS, choices=GENDERS),
    "age": FieldSpec("number", NUMBER_OPS),
    "birthday_in_days": FieldSpec("number", NUMBER_OPS),
    "tier": FieldSpec("text", SET_OPS),
    "invite_link": FieldSpec("text", SET_OPS),
    "channel": FieldSpec("text", SET_OPS),
    "joined_days_ago": FieldSpec("number", NUMBER_OPS),
    "days_since_purchase": FieldSpec("number", NUMBER_OPS),
    "purchases": FieldSpec("number", NUMBER_OPS, days=True),
    "spend": FieldSpec("money", MONEY_OPS, days=True),
    "average_check": FieldSpec("money", MONEY_OPS, days=True),
    "bought_sku": FieldSpec("text", SET_OPS, days=True),
    "bought_category": FieldSpec("text", SET_OPS, days=True),
    "balance": FieldSpec("number", NUMBER_OPS, signed=True),
    "consent": FieldSpec("choice", SET_OPS, choices=CONSENTS),
}


# --- checking --------------------------------------------------------------------------------------

class _Errors(dict):
    def add(self, path: str, text: str) -> None:
        self.setdefault(path, []).append(text)


def rules_clean(rules) -> dict:
    """The rules in canonical form (numbers parsed, money as strings, lists sorted and unique).

    Raises:
        ValidationError: keyed by the path of each bad part, e.g. `rules.all[1].any[0].op`.
    """
    errors = _Errors()
    counter = [0]
    clean = _group(rules, "rules", errors, depth=1, counter=counter)
    if errors:
        raise ValidationError(dict(errors))
    return clean


def _group(node, path: str, errors: _Errors, *, depth: int, counter: list) -> dict | None:
    if not isinstance(node, dict) or len(node) != 1 or next(iter(node)) not in ("all", "any"):
        errors.add(path, _("Send a group: an object with one key, \"all\" or \"any\", holding a list of conditions and groups."))
        return None
    key = next(iter(node))
    items = node[key]
    if not isinstance(items, list):
        errors.add(f"{path}.{key}", _("Send a list of conditions and groups."))
        return None
    if depth > MAX_DEPTH:
        errors.add(path, _("Groups nest at most %(n)d deep.") % {"n": MAX_DEPTH})
        return None
    out = []
    for index, item in enumerate(items):
        item_path = f"{path}.{key}[{index}]"
        if isinstance(item, dict) and "field" not in item and len(item) == 1 and next(iter(item)) in ("all", "any"):
            sub = _group(item, item_path, errors, depth=depth + 1, counter=counter)
        else:
            counter[0] += 1
            if counter[0] > MAX_CONDITIONS:
                errors.add(item_path, _("A segment has at most %(n)d conditions.") % {"n": MAX_CONDITIONS})
                return None
            sub = _condition(item, item_path, errors)
        if sub is not None:
            out.append(sub)
    return {key: out}


def _condition(node, path: str, errors: _Errors) -> dict | None:
    if not isinstance(node, dict):
        errors.add(path, _("Send a condition {\"field\", \"op\", \"value\"} or a group {\"all\": [...]} / {\"any\": [...]}."))
        return None
    before = len(errors)
    unknown = sorted(set(node) - {"field", "op", "value", "days"}, key=str)
    for key in unknown:
        errors.add(f"{path}.{key}", _("Unknown key: a condition has field, op, value and days."))
    field_name = node.get("field")
    spec = FIELDS.get(field_name) if isinstance(field_name, str) else None
    if spec is None:
        errors.add(f"{path}.field", _("Unknown field; use one of: %(fields)s.") % {"fields": ", ".join(FIELDS)})
        return None
    op = node.get("op")
    if not isinstance(op, str) or op not in spec.ops:
        errors.add(f"{path}.op", _("Unknown operator for %(field)s; use one of: %(ops)s.") % {"field": field_name, "ops": ", ".join(spec.ops)})
        return None
    if "value" not in node:
        errors.add(f"{path}.value", _("This condition needs a value."))
        return None
    value = _value(spec, op, node["value"], f"{path}.value", errors)
    clean = {"field": field_name, "op": op, "value": value}
    if "days" in node and node["days"] is not None:
        if not spec.days:
            errors.add(f"{path}.days", _("%(field)s takes no days window.") % {"field": field_name})
        else:
            try:
                days = integer_parse(node["days"], max_digits=6)
            except InputError as exc:
                errors.add(f"{path}.days", exc.message)
            else:
                if not 1 <= days <= MAX_DAYS:
                    errors.add(f"{path}.days", _("Days must be from 1 to %(n)d.") % {"n": MAX_DAYS})
                clean["days"] = days
    return clean if len(errors) == before else None


def _scalar(spec: FieldSpec, raw, path: str, errors: _Errors):
    try:
        if spec.kind == "number":
            number = integer_parse(raw, max_digits=10)
            if not spec.signed and number < 0:
                raise InputError(_("Send a number of at least 0."))
            if abs(number) > MAX_NUMBER:
                raise InputError(_("The number is too large."))
            return number
        if spec.kind == "money":
            amount = decimal_parse(raw, places=2, integer_digits=12)
            if amount < 0:
                raise InputError(_("Send an amount of at least 0."))
            return f"{amount:.2f}"
    except InputError as exc:
        errors.add(path, exc.message)
        return None
    if not isinstance(raw, str) or not raw.strip() or len(raw) > MAX_TEXT:
        errors.add(path, _("Send a text of 1 to %(n)d characters.") % {"n": MAX_TEXT})
        return None
    if spec.kind == "choice" and raw not in spec.choices:
        errors.add(path, _("Use one of: %(values)s.") % {"values": ", ".join(spec.choices)})
        return None
    return raw.strip()


def _value(spec: FieldSpec, op: str, raw, path: str, errors: _Errors):
    if op == "in":
        if not isinstance(raw, list) or not raw or len(raw) > MAX_VALUES:
            errors.add(path, _("Send a list of 1 to %(n)d values.") % {"n": MAX_VALUES})
            return None
        values = [_scalar(spec, item, f"{path}[{index}]", errors) for index, item in enumerate(raw)]
        if any(item is None for item in values):
            return None
        return sorted(set(values), key=lambda item: (Decimal(item) if spec.kind == "money" else item))
    if op == "between":
        if not isinstance(raw, list) or len(raw) != 2:
            errors.add(path, _("Send [low, high]."))
            return None
        low = _scalar(spec, raw[0], f"{path}[0]", errors)
        high = _scalar(spec, raw[1], f"{path}[1]", errors)
        if low is None or high is None:
            return None
        if (Decimal(low) > Decimal(high)) if spec.kind == "money" else low > high:
            errors.add(path, _("The low end must not be above the high end."))
            return None
        return [low, high]
    if isinstance(raw, list):
        errors.add(path, _("Send one value, not a list (use \"in\" for a list)."))
        return None
    return _scalar(spec, raw, path, errors)


# --- compiling -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Moment:
    """`now` and the merchant's calendar it is judged in."""

    now: datetime
    zone: ZoneInfo
    # Judging one customer (promotions at checkout): aggregates and purchases are correlated to the
    # outer customer (index probes for that customer) instead of grouped over every customer.
    per_customer: bool = False

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        """The start of `day` in the merchant's timezone (clamped to the calendar)."""
        day = min(max(day, date(1, 1, 2)), date(9999, 12, 30))
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def days_back(self, days: int) -> datetime:
        """The start of the day `days` calendar days before today (-1: tomorrow), clamped to the calendar."""
        today = self.today
        if days >= (today - date(1, 1, 2)).days:
            return self.midnight(date(1, 1, 2))
        return self.midnight(today - timedelta(days=days))


def rules_q(rules: dict, *, merchant, now: datetime, per_customer: bool = False) -> Q:
    """A Q over accounts.Customer for already cleaned rules (see rules_clean). `per_customer`: the
    queryset will hold one customer; every subquery is then correlated to it."""
    moment = Moment(now=now, zone=ZoneInfo(merchant.timezone), per_customer=per_customer)
    return _group_q(rules, merchant, moment)


NOBODY = Q(pk__in=[])


def _group_q(node: dict, merchant, moment: Moment) -> Q:
    key = next(iter(node))
    parts = [(_group_q(item, merchant, moment) if "field" not in item else _condition_q(item, merchant, moment)) for item in node[key]]
    if not parts:
        return Q() if key == "all" else NOBODY
    out = parts[0]
    for part in parts[1:]:
        out = (out & part) if key == "all" else (out | part)
    return out


def _intervals(op: str, value) -> list[tuple]:
    """(low, high) pairs, inclusive, None for an open end: what the number must fall in (any of them)."""
    if op == "eq":
        return [(value, value)]
    if op == "in":
        return [(item, item) for item in value]
    if op == "gte":
        return [(value, None)]
    if op == "lte":
        return [(None, value)]
    return [(value[0], value[1])]


def _any(parts) -> Q:
    parts = list(parts)
    if not parts:
        return NOBODY
    out = parts[0]
    for part in parts[1:]:
        out |= part
    return out


def _condition_q(cond: dict, merchant, moment: Moment) -> Q:
    name, op, value = cond["field"], cond["op"], cond["value"]
    if name in ("gender", "tier", "invite_link", "channel", "bought_sku", "bought_category", "consent"):
        values = value if op == "in" else [value]
        return _SET_FIELDS[name](values, merchant=merchant, moment=moment, days=cond.get("days"))
    intervals = _intervals(op, value)
    if FIELDS[name].kind == "money":
        intervals = [(None if low is None else Decimal(low), None if high is None else Decimal(high)) for low, high in intervals]
    return _RANGE_FIELDS[name](intervals, merchant=merchant, moment=moment, days=cond.get("days"))


# Set fields ---------------------------------------------------------------------------------------

def _gender(values, **_kw) -> Q:
    return Q(gender__in=values)


def _consent(values, **_kw) -> Q:
    return _any(Q(**{f"consent_{channel}": True}) for channel in values)


def _tier(values, *, merchant, **_kw) -> Q:
    accounts = PointsAccount.objects.filter(merchant=merchant, customer=OuterRef("pk")).filter(
        Q(override_tier__code__in=values) | Q(override_tier__isnull=True, tier__code__in=values)
    )
    return Q(Exists(accounts))


def _signups(merchant):
    return InviteSignup.objects.filter(merchant=merchant, customer=OuterRef("pk"))


def _invite_link(values, *, merchant, **_kw) -> Q:
    """Joined through one of these links: the sign-up the referrals app recorded (link codes are lower case)."""
    codes = sorted({value.lower() for value in values})
    return Q(Exists(_signups(merchant).filter(link__code__in=codes)))


def _channel(values, *, merchant, **_kw) -> Q:
    """Joined through a link labelled with one of these channels (as typed on the link, exactly)."""
    return Q(Exists(_signups(merchant).filter(link__channel__in=values)))


def _lines(merchant, moment: Moment, days):
    lines = ReceiptLine.objects.filter(merchant=merchant, receipt__fully_refunded=False, returned_quantity__lt=F("quantity"),
                                       receipt__customer__isnull=False)
    if days:
        lines = lines.filter(receipt__purchased_at__gte=moment.now - timedelta(days=days))
    return lines


def _bought(lines, moment: Moment) -> Q:
    if moment.per_customer:
        return Q(Exists(lines.filter(receipt__customer=OuterRef("pk"))))
    return Q(pk__in=lines.values("receipt__customer_id"))


def _bought_sku(values, *, merchant, moment, days) -> Q:
    return _bought(_lines(merchant, moment, days).filter(sku__in=values), moment)


def _bought_category(values, *, merchant, moment, days) -> Q:
    return _bought(_lines(merchant, moment, days).filter(category__in=values), moment)


_SET_FIELDS = {"gender": _gender, "tier": _tier, "invite_link": _invite_link, "channel": _channel, "bought_sku": _bought_sku,
               "bought_category": _bought_category, "consent": _consent}


# Range fields -------------------------------------------------------------------------------------

def _years_ago(today: date, years: int) -> date:
    year = today.year - years
    if year < 1:
        return date(1, 1, 1)
    if year > 9999:
        return date(9999, 12, 31)
    try:
        return today.replace(year=year)
    except ValueError:  # 29 February in a common year
        return today.replace(year=year, day=28)


def _age(intervals, *, moment: Moment, **_kw) -> Q:
    today = moment.today

    def one(low, high) -> Q:
        q = Q(birthday__isnull=False)
        if low is not None:
            q &= Q(birthday__lte=_years_ago(today, low))
        if high is not None:
            q &= Q(birthday__gt=_years_ago(today, high + 1))
        return q

    return _any(one(low, high) for low, high in intervals)


def _mmdd_gte(day: date) -> Q:
    return Q(birthday__month__gt=day.month) | Q(birthday__month=day.month, birthday__day__gte=day.day)


def _mmdd_lte(day: date) -> Q:
    return Q(birthday__month__lt=day.month) | Q(birthday__month=day.month, birthday__day__lte=day.day)


def _birthday_in_days(intervals, *, moment: Moment, **_kw) -> Q:
    """The next birthday is `low` to `high` days away (0 = today): a window of calendar days, by month and day.

    The window stops the day before today's date comes round again, so a birthday today is 0 days
    away, never 365."""
    today = moment.today
    try:
        anniversary = today.replace(year=today.year + 1)
    except ValueError:  # today is 29 February
        anniversary = date(today.year + 1, 3, 1)
    last = anniversary - timedelta(days=1)

    def one(low, high) -> Q:
        low = 0 if low is None else low
        if low > 366:
            return NOBODY
        start = today + timedelta(days=low)
        end = last if high is None or high > 366 else min(today + timedelta(days=high), last)
        if start > end:
            return NOBODY
        if start == today and end == last:
            return Q(birthday__isnull=False)
        if start.year == end.year:
            q = _mmdd_gte(start) & _mmdd_lte(end)
        else:
            q = _mmdd_gte(start) | _mmdd_lte(end)
        # Born on 29 February: in a common year the birthday is kept on 1 March.
        for year in {start.year, end.year}:
            if not calendar.isleap(year) and start <= date(year, 3, 1) <= end:
                q |= Q(birthday__month=2, birthday__day=29)
        return Q(birthday__isnull=False) & q

    return _any(one(low, high) for low, high in intervals)


def _joined_days_ago(intervals, *, moment: Moment, **_kw) -> Q:

    def one(low, high) -> Q:
        q = Q()
        if low is not None:
            q &= Q(created_at__lt=moment.days_back(low - 1))
        if high is not None:
            q &= Q(created_at__gte=moment.days_back(high))
        return q

    return _any(one(low, high) for low, high in intervals)


def _receipts(merchant, moment: Moment | None = None, days=None):
    receipts = Receipt.objects.filter(merchant=merchant, customer__isnull=False, fully_refunded=False)
    if days:
        receipts = receipts.filter(purchased_at__gte=moment.now - timedelta(days=days))
    return receipts


def _days_since_purchase(intervals, *, merchant, moment: Moment, **_kw) -> Q:
    """Days since the last purchase in the merchant's calendar; a customer who never bought counts from joining."""
    mine = _receipts(merchant).filter(customer=OuterRef("pk"))
    bought = Exists(mine)

    def one(low, high) -> Q:
        q = Q()
        if low is not None:  # the last purchase (or joining) is before the start of day today - low + 1
            cut = moment.days_back(low - 1)
            # Joined before the cut (a column, checked first) or bought at all (an index probe).
            q &= ~Q(Exists(mine.filter(purchased_at__gte=cut))) & (Q(created_at__lt=cut) | Q(bought))
        if high is not None:  # ... on or after the start of day today - high
            cut = moment.days_back(high)
            q &= Q(Exists(mine.filter(purchased_at__gte=cut))) | (Q(created_at__gte=cut) & ~Q(bought))
        return q

    return _any(one(low, high) for low, high in intervals)


def _having(intervals, column: str, *, scale: str | None = None) -> Q:
    """Any of the intervals holds for the aggregate `column` (or for column / scale, compared as column vs bound × scale)."""

    def bound(value):
        return Value(value) if scale is None else ExpressionWrapper(F(scale) * Value(value), output_field=DecimalField(max_digits=30, decimal_places=2))

    def one(low, high) -> Q:
        q = Q()
        if low is not None:
            q &= Q(GreaterThanOrEqual(F(column), bound(low)))
        if high is not None:
            q &= Q(LessThanOrEqual(F(column), bound(high)))
        return q

    return _any(one(low, high) for low, high in intervals)


def _holds_zero(intervals) -> bool:
    return any((low is None or low <= 0) and (high is None or high >= 0) for low, high in intervals)


NET = ExpressionWrapper(F("subtotal") - F("discount") - F("refunded_cost"), output_field=DecimalField(max_digits=14, decimal_places=2))


def _receipt_aggregate(intervals, *, merchant, moment, days, measure: str) -> Q:
    """Purchases, spend or average check over the customer's receipts (in the window).

    A customer with no receipt has 0 purchases and 0 spend (and no average check). Customers with
    receipts are picked by one grouped subquery (a semi-join); when 0 also qualifies, those without
    any receipt are added by an anti-join.
    """
    receipts = _receipts(merchant, moment, days)
    grouped = receipts.order_by().values("customer_id").annotate(total=Sum(NET), n=Count("id"))
    if measure == "purchases":
        having = _having(intervals, "n")
    elif measure == "spend":
        having = _having(intervals, "total")
    else:
        having = _having(intervals, "total", scale="n")
    if moment.per_customer:
        q = Q(Exists(grouped.filter(having).filter(customer_id=OuterRef("pk"))))
    else:
        q = Q(pk__in=grouped.filter(having).values("customer_id"))
    if measure != "average_check" and _holds_zero(intervals):
        q |= ~Q(Exists(receipts.filter(customer=OuterRef("pk"))))
    return q


def _purchases(intervals, **kw) -> Q:
    return _receipt_aggregate(intervals, measure="purchases", **kw)


def _spend(intervals, **kw) -> Q:
    return _receipt_aggregate(intervals, measure="spend", **kw)


def _average_check(intervals, **kw) -> Q:
    return _receipt_aggregate(intervals, measure="average_check", **kw)


def _balance(intervals, *, merchant, **_kw) -> Q:
    """Available points as recorded: active lots' remaining points less refund debt (what balance reads show)."""
    active = (Lot.objects.filter(merchant=merchant, customer=OuterRef("pk"), is_pending=False).order_by()
              .values("customer_id").annotate(s=Sum("remaining")).values("s"))
    debt = PointsAccount.objects.filter(customer=OuterRef("pk")).values("debt")
    balance = Coalesce(Subquery(active), 0) - Coalesce(Subquery(debt), 0)

    def one(low, high) -> Q:
        q = Q()
        if low is not None:
            q &= Q(GreaterThanOrEqual(balance, low))
        if high is not None:
            q &= Q(LessThanOrEqual(balance, high))
        return q

    return _any(one(low, high) for low, high in intervals)


_RANGE_FIELDS = {"age": _age, "birthday_in_days": _birthday_in_days, "joined_days_ago": _joined_days_ago,
                 "days_since_purchase": _days_since_purchase, "purchases": _purchases, "spend": _spend,
                 "average_check": _average_check, "balance": _balance}

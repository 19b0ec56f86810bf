"""A report's period and store, parsed from `from`, `to` and `store` (the API's and the screens' parameters).

`from` and `to` are the merchant's dates, both inclusive; the period runs from local midnight of `from`
to local midnight after `to`. Bad input raises ValidationError naming the parameter.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.inputs import DATE_MAX, DATE_MIN, text_is_bad
from accounts.models import Merchant, Store
from accounts.selectors import store_get

DEFAULT_DAYS = 30
# A longer range is refused: ten years of days is more than any report needs.
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    merchant: Merchant
    first: date
    last: date
    store: Store | None
    today: date

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.merchant.timezone)

    @property
    def start(self) -> datetime:
        return local_midnight(self.first, self.zone)

    @property
    def end(self) -> datetime:
        return local_midnight(self.last + timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def previous(self) -> "Period":
        """The period of equal length just before this one."""
        return Period(merchant=self.merchant, first=self.first - timedelta(days=self.days), last=self.first - timedelta(days=1),
                      store=self.store, today=self.today)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def merchant_today(merchant: Merchant, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(merchant.timezone)).date()


def _date(value, name: str, errors: dict) -> date | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        if len(text) != 10 or text_is_bad(text):
            raise ValueError
        parsed = date.fromisoformat(text)
    except ValueError:
        errors[name] = [_("Enter a date as YYYY-MM-DD.")]
        return None
    if not DATE_MIN <= parsed <= DATE_MAX:
        errors[name] = [_("Enter a date from %(low)s to %(high)s.") % {"low": DATE_MIN.isoformat(), "high": DATE_MAX.isoformat()}]
        return None
    return parsed


def period_parse(*, merchant: Merchant, params, now: datetime | None = None) -> Period:
    """The period a request asks for; `to` defaults to today and `from` to DEFAULT_DAYS days before it.

    Raises:
        ValidationError: a malformed date (`from`/`to`), `from` after `to` (`from`), a range over
            MAX_DAYS days (`to`), a store code this merchant does not have (`store`).
    """
    errors: dict = {}
    today = merchant_today(merchant, now)
    first = _date(params.get("from"), "from", errors)
    last = _date(params.get("to"), "to", errors)
    store = None
    code = params.get("store")
    if code not in (None, ""):
        code = str(code)
        store = store_get(merchant=merchant, code=code) if len(code) <= 50 and not text_is_bad(code) else None
        if store is None:
            errors["store"] = [_("No store with this code.")]
    if errors:
        raise ValidationError(errors)
    if last is None:
        last = max(today, first) if first is not None else today
    if first is None:
        first = max(last - timedelta(days=DEFAULT_DAYS - 1), DATE_MIN)
    if first > last:
        raise ValidationError({"from": [_("The start of the period is after its end.")]})
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationError({"to": [_("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS}]})
    if last >= DATE_MAX:
        raise ValidationError({"to": [_("Enter a date before %(high)s.") % {"high": DATE_MAX.isoformat()}]})
    return Period(merchant=merchant, first=first, last=last, store=store, today=today)

"""Template filters and tags shared by every screen: money, points, local time, query strings.

Money and dates each go through one filter so that every page formats them the same way, in the
active language and the merchant's currency and timezone.
"""
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django import template
from django.utils import dateformat, translation
from django.utils.safestring import mark_safe
from django.utils import timezone as dj_timezone

from loyalty.money import CURRENCY_SYMBOLS, currency_places, money_quantize

register = template.Library()

NBSP = "\u00a0"
MINUS = "\u2212"

# Per language: thousands separator, decimal mark, whether the symbol goes before the number.
NUMBER_STYLE = {
    "ru": {"group": NBSP, "decimal": ",", "symbol_first": False},
    "en": {"group": ",", "decimal": ".", "symbol_first": True},
}
DATE_FORMATS = {
    "ru": {"date": "j E Y", "datetime": "j E Y, H:i", "short": "d.m.Y", "short_datetime": "d.m.Y H:i", "time": "H:i", "day": "j b"},
    "en": {"date": "M j, Y", "datetime": "M j, Y, H:i", "short": "Y-m-d", "short_datetime": "Y-m-d H:i", "time": "H:i", "day": "M j"},
}


def _style() -> dict:
    lang = (translation.get_language() or "en").split("-")[0]
    return NUMBER_STYLE.get(lang, NUMBER_STYLE["en"])


def _group(digits: str, sep: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return sep.join(parts)


def number_format(value: Decimal | int, places: int = 0) -> str:
    """A number with the active language's separators; negative numbers get a real minus sign."""
    style = _style()
    number = Decimal(value)
    negative = number < 0
    text = f"{abs(number):.{places}f}"
    whole, _, fraction = text.partition(".")
    out = _group(whole, style["group"])
    if places:
        out += style["decimal"] + fraction
    return (MINUS if negative else "") + out


def _currency_of(arg) -> str:
    if arg is None or arg == "":
        return "RUB"
    if isinstance(arg, str):
        return arg.upper()
    return getattr(arg, "currency", "RUB")


@register.filter
def money(value, currency=None):
    """`1 234,50 ₽` in Russian, `₽1,234.50` in English. `currency` is a code or anything with `.currency`."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
    code = _currency_of(currency)
    places = currency_places(code)
    amount = money_quantize(amount, code)
    style = _style()
    symbol = CURRENCY_SYMBOLS.get(code)
    negative = amount < 0
    number = number_format(abs(amount), places)
    sign = MINUS if negative else ""
    if symbol is None:
        return f"{sign}{code}{NBSP}{number}" if style["symbol_first"] else f"{sign}{number}{NBSP}{code}"
    return f"{sign}{symbol}{number}" if style["symbol_first"] else f"{sign}{number}{NBSP}{symbol}"


@register.filter
def points(value, mode=""):
    """Whole points with thousands separators; `points:"signed"` adds + to credits."""
    if value is None or value == "":
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return value
    text = number_format(number)
    if mode == "signed" and number > 0:
        return "+" + text
    return text


def quantity_format(value) -> str:
    """A quantity as people write it in the active language: 1.000 → "1", 0.350 → "0.35" / "0,35"."""
    number = Decimal(value)
    if number == number.to_integral_value():
        return number_format(number)
    places = max(0, -number.normalize().as_tuple().exponent)
    return number_format(number, places)


@register.filter
def quantity(value):
    """`quantity_format` for templates; text that is not a number is shown as it is."""
    if value is None or value == "":
        return ""
    try:
        return quantity_format(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return value


@register.filter
def percent(value, places=None):
    """A percentage in the active language: `2.5 %` / `2,5 %` (trailing zeros dropped)."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if places is None or places == "":
        number = number.normalize()
        exponent = number.as_tuple().exponent
        places_int = max(0, -exponent) if isinstance(exponent, int) else 0
    else:
        places_int = int(places)
    return f"{number_format(number, places_int)}{NBSP}%"


def _zone(tz) -> ZoneInfo | None:
    if tz is None or tz == "":
        return None
    if isinstance(tz, str):
        return ZoneInfo(tz)
    name = getattr(tz, "timezone", None)
    return ZoneInfo(name) if name else None


def local_format(value, tz=None, fmt: str = "datetime") -> str:
    """Format a datetime in the merchant's timezone (`tz`: a Merchant or a zone name) and the active language."""
    if value in (None, ""):
        return ""
    lang = (translation.get_language() or "en").split("-")[0]
    formats = DATE_FORMATS.get(lang, DATE_FORMATS["en"])
    pattern = formats.get(fmt, fmt)
    if isinstance(value, datetime):
        zone = _zone(tz)
        if dj_timezone.is_aware(value):
            value = value.astimezone(zone) if zone is not None else dj_timezone.localtime(value)
        return dateformat.format(value, pattern)
    if isinstance(value, date):
        if fmt == "datetime":
            pattern = formats["date"]
        return dateformat.format(value, pattern)
    if isinstance(value, str):
        try:
            return local_format(date.fromisoformat(value), tz, "date" if fmt == "datetime" else fmt)
        except ValueError:
            return value
    return str(value)


@register.filter(name="local")
def local_filter(value, tz=None):
    """`{{ receipt.purchased_at|local:merchant }}` → `5 мая 2025, 14:03` / `May 5, 2025, 14:03`."""
    return local_format(value, tz, "datetime")


@register.filter
def local_date(value, tz=None):
    """The date only, in the merchant's timezone: `5 мая 2025` / `May 5, 2025`."""
    return local_format(value, tz, "date")


@register.simple_tag(name="local", takes_context=True)
def local_tag(context, value, tz=None, fmt="datetime"):
    """`{% local value merchant "date" %}`; without a merchant it uses request.merchant if the view set one."""
    if tz is None:
        request = context.get("request")
        tz = getattr(request, "merchant", None)
    return local_format(value, tz, fmt)


@register.simple_tag(takes_context=True)
def query_replace(context, **changes):
    """The current query string with some parameters replaced (None removes one); for filters and pages."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = value
    return params.urlencode()


@register.simple_tag(takes_context=True)
def nav_current(context, prefix: str, exact: bool = False) -> str:
    """`aria-current="page"` for the nav link whose URL prefix matches the current path."""
    path = context["request"].path
    hit = path == prefix if exact else path.startswith(prefix)
    return mark_safe('aria-current="page"') if hit else ""


@register.filter
def discount_amount(item):
    """The money an `applied` entry took off the receipt (tier discounts, promotions, gifts), or None:
    redemption entries are paid with points, not discounts, and a zero is not shown."""
    if not isinstance(item, dict) or item.get("kind") == "redemption":
        return None
    try:
        amount = Decimal(str(item.get("amount")))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 else None


@register.filter
def explained(applied):
    """A receipt's or a preview's `applied`, with names and details in the active language."""
    from loyalty.texts import applied_render

    return applied_render(applied)

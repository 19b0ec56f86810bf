"""Untrusted input, judged in one place for the API and the screens.

- Text: a NUL character or a lone surrogate ("\\ud800") cannot be stored (PostgreSQL refuses NUL;
  UTF-8 cannot encode a surrogate), so any request carrying one is refused before a view runs.
- Structure: JSON nested deeper than MAX_DEPTH is refused (no RecursionError anywhere later).
- Numbers: JSON numbers and plain decimal strings of ASCII digits ("89.90", "2", "-1"); exponents
  ("1E+2"), underscores ("1_000"), non-ASCII digits and signs like "--5" are refused. A parsed number
  is returned in its canonical form (quantized, never "-0").
- Dates: years from DATE_MIN to DATE_MAX only, so date arithmetic never leaves the calendar.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_DEPTH = 32
MAX_NUMBER_CHARS = 40
DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2999, 12, 31)

BAD_TEXT = re.compile("[\x00\ud800-\udfff]")
PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
PLAIN_INTEGER = re.compile(r"-?[0-9]+")


class InputError(ValueError):
    """A value that cannot be taken; `message` says why, for the field it came from."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text_is_bad(value: str) -> bool:
    """True when the text holds a NUL character or a lone surrogate."""
    return BAD_TEXT.search(value) is not None


def bad_text_message() -> str:
    return _("Remove the control or invalid characters (such as NUL) from this text.")


def data_problems(data, *, max_depth: int = MAX_DEPTH) -> tuple[dict[str, list[str]], bool]:
    """Walk parsed JSON without recursion: the paths whose keys or text are bad, and whether it is too deep.

    Paths read like the API's error fields: `lines[0].sku`.
    """
    problems: dict[str, list[str]] = {}
    stack = [(data, "", 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, (dict, list)) and depth > max_depth:
            return problems, True
        if isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and text_is_bad(key):
                    problems[_printable(path) or "non_field_errors"] = [bad_text_message()]
                    continue
                stack.append((item, name, depth + 1))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                stack.append((item, f"{path}[{index}]", depth + 1))
        elif isinstance(value, str) and text_is_bad(value):
            problems[_printable(path) or "non_field_errors"] = [bad_text_message()]
    return problems, False


def _printable(text: str) -> str:
    return BAD_TEXT.sub("\ufffd", text)


def decimal_parse(value, *, places: int, integer_digits: int = 12) -> Decimal:
    """A decimal from a JSON number (an int or a Decimal) or a plain decimal string, quantized to `places`.

    "2" → 2.000 with places=3, "89.9" → 89.90 with places=2, "-0" → 0.00. Trailing zeros beyond
    `places` are fine ("89.900"); more significant places are refused, never rounded.

    Raises:
        InputError: not a plain number, too many places, or too many digits before the point.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        raise InputError(_("Send a decimal number as a string, such as \"89.90\"."))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_NUMBER_CHARS or not PLAIN_DECIMAL.fullmatch(text):
            raise InputError(not_a_number_message(text))
        number = Decimal(text)
    else:
        number = Decimal(value)
        if not number.is_finite():
            raise InputError(not_a_number_message(str(number)))
    if number and number.adjusted() + 1 > integer_digits:
        raise InputError(ngettext("The number is too large (at most %(n)d digit before the point).",
                                  "The number is too large (at most %(n)d digits before the point).", integer_digits) % {"n": integer_digits})
    quantum = Decimal(1).scaleb(-places)
    canonical = number.quantize(quantum)
    if canonical != number:
        raise InputError(ngettext("Use at most %(n)d decimal place.", "Use at most %(n)d decimal places.", places) % {"n": places})
    return abs(canonical) if canonical == 0 else canonical


def not_a_number_message(text: str) -> str:
    return _("\"%(value)s\" is not a number: send an amount or quantity as plain digits with at most one point, "
             "such as \"89.90\" (no exponent or separators).") % {"value": _printable(text[:MAX_NUMBER_CHARS])}


def integer_parse(value, *, max_digits: int = 15) -> int:
    """A whole number from a JSON integer or a plain string of ASCII digits ("5", "-5").

    Raises:
        InputError: anything else ("--5", "²", "1_000", "5.0", 5,000 digits).
    """
    if isinstance(value, bool):
        raise InputError(_("Enter a whole number."))
    if isinstance(value, int):
        if len(str(abs(value))) > max_digits:
            raise InputError(_("The number is too large."))
        return value
    if isinstance(value, str):
        text = value.strip()
        if not PLAIN_INTEGER.fullmatch(text):
            raise InputError(_("Enter a whole number."))
        if len(text.lstrip("-")) > max_digits:
            raise InputError(_("The number is too large."))
        return int(text)
    raise InputError(_("Enter a whole number."))


def date_check(value: date) -> date:
    """A date within DATE_MIN..DATE_MAX.

    Raises:
        InputError: a date at the edge of the calendar.
    """
    if not DATE_MIN <= value <= DATE_MAX:
        raise InputError(date_range_message())
    return value


def date_range_message() -> str:
    return _("Enter a date from %(low)s to %(high)s.") % {"low": DATE_MIN.isoformat(), "high": DATE_MAX.isoformat()}


class DateField(forms.DateField):
    """The date field of every form: refuses dates outside DATE_MIN..DATE_MAX (9999-12-31 plus a day overflows)."""

    def validate(self, value):
        super().validate(value)
        if value and not DATE_MIN <= value <= DATE_MAX:
            raise forms.ValidationError(date_range_message(), code="date_range")

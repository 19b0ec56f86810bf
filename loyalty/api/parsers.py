"""The API's JSON parser: strict numbers, bounded depth, and no text that cannot be stored.

JSON numbers with a fraction are read exactly (as Decimal, never a binary float); a number written
with an exponent (`1e2`) is kept as its text, so the field's own parser refuses it by name like the
string "1E+2". A body nested deeper than `accounts.inputs.MAX_DEPTH`, or holding a NUL character or
a lone surrogate anywhere, is a 400 naming the field.
"""
import json
import re
from decimal import Decimal

from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from accounts.errors import ValidationError
from accounts.inputs import MAX_DEPTH, data_problems
from loyalty.api.renderers import JSONRenderer

_EXPONENT = re.compile(r"[eE]")


def _parse_float(text: str):
    return text if _EXPONENT.search(text) else Decimal(text)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ParseError("JSON parse error - the body is not UTF-8.")
        if _too_deep(text):
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        try:
            data = json.loads(text, parse_float=_parse_float, parse_constant=_refuse_constant)
        except RecursionError:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}")
        problems, too_deep = data_problems(data)
        if too_deep:
            raise ParseError(f"JSON parse error - nested deeper than {MAX_DEPTH} levels.")
        if problems:
            raise ValidationError(problems)
        return data


def _too_deep(text: str) -> bool:
    """A quick bound before parsing: brackets outside strings never open more than MAX_DEPTH deep."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif char in "]}":
            depth -= 1
    return False

"""What the counter screen's forms send, turned into the shapes the services take.

The sale form is parsed into the same JSON-like draft the POS API receives and then validated
by `loyalty.drafts.draft_parse`, so the counter refuses exactly what the API refuses; this module
only maps a cashier's typing ("1 000,50", "max") to that shape and the errors back to form fields.
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty.templatetags.ui import quantity_format

LINE_ROWS = 5
AMOUNT_SKU = "AMOUNT"
_SPACES = re.compile(r"[\s\u00a0\u202f']")
PROMO_CODES_MAX = 10
PROMO_CODE_MAX_LENGTH = 64
_CODE_SEPARATORS = re.compile(r"[\s,;]+")

# Why the checkout rejected a promo code (the calculation's `codes[].reason`, the commit's refusal code),
# in the cashier's language.
PROMO_CODE_REASONS = {
    "promo_code_unknown": gettext_lazy("No such code."),
    "promo_code_expired": gettext_lazy("The code has expired."),
    "promo_code_used": gettext_lazy("The code has already been used."),
    "promo_code_not_yours": gettext_lazy("The code belongs to another customer."),
    "promo_code_not_applicable": gettext_lazy("The code's promotion does not apply to this sale."),
}


def number_text_normalize(text: str) -> str:
    """'1 000,50' and '1,000.50' become '1000.50'; anything else is passed on for draft_parse to judge."""
    value = _SPACES.sub("", text or "")
    if "," in value and "." in value:
        value = value.replace(",", "")
    elif "," in value:
        value = value.replace(",", ".")
    return value


def _is_zero(text: str) -> bool:
    """True for a price typed as zero ("0", "0,00"); anything unparsable is left for draft_parse."""
    try:
        return Decimal(text) == 0
    except (InvalidOperation, ValueError):
        return False


def redeem_text_parse(text: str):
    """'' → 0, 'max' → 'max', '150' → 150; other text goes through unchanged so draft_parse refuses it."""
    value = _SPACES.sub("", text or "").lower()
    if value == "":
        return 0
    if value in {"max", "макс", "m"}:
        return "max"
    if re.fullmatch(r"-?\d{1,15}", value):
        return int(value)
    return value


def sale_data_build(post) -> tuple[dict, dict[int, int], dict]:
    """The draft data from the sale form, which form row each draft line came from, and form errors.

    Returns (data, rows, errors): `rows` maps a draft line index to its form row (-1 for the
    amount field), so errors keyed `lines[0].price` can be shown beside the right input.
    """
    errors: dict[str, list[str]] = {}
    amount = (post.get("amount") or "").strip()
    lines: list[dict] = []
    rows: dict[int, int] = {}
    for row in range(LINE_ROWS):
        price = (post.get(f"price_{row}") or "").strip()
        item = (post.get(f"item_{row}") or "").strip()
        quantity = (post.get(f"qty_{row}") or "").strip()
        if not price:
            if item or quantity:
                errors[f"price_{row}"] = [_("Enter the price, or clear the line.")]
            continue
        rows[len(lines)] = row
        lines.append({
            "sku": item[:64] or f"LINE-{row + 1}",
            "name": item,
            "quantity": number_text_normalize(quantity) or "1",
            "price": number_text_normalize(price),
        })
    if amount and lines:
        errors["amount"] = [_("Enter either one amount or lines, not both.")]
    elif amount:
        rows = {0: -1}
        lines = [{"sku": AMOUNT_SKU, "name": _("Purchase"), "quantity": "1", "price": number_text_normalize(amount)}]
        if _is_zero(lines[0]["price"]):
            errors["amount"] = [_("The amount is zero. Enter what the customer buys for, more than zero.")]
    elif not lines and not errors:
        errors["amount"] = [_("Enter the amount of the sale, or its lines.")]
    if lines and not errors and rows != {0: -1} and all(_is_zero(line["price"]) for line in lines):
        # A gift line at zero may ride along with a sale, but a sale of nothing but zeros is a typo.
        errors[f"price_{rows[0]}"] = [_("Every price is zero. Enter the prices of the items, more than zero.")]
    data = {"lines": lines, "redeem_points": redeem_text_parse(post.get("redeem") or "")}
    codes, code_errors = promo_codes_parse(post.get("promo_codes") or "")
    if code_errors:
        errors["promo_codes"] = code_errors
    elif codes:
        data["promo_codes"] = codes
    return data, rows, errors


def promo_codes_parse(text: str) -> tuple[list[str], list[str]]:
    """The codes typed or scanned into one field, separated by spaces, commas or semicolons.

    Returns (codes, errors): codes in the order given, each once (matching ignores case).
    """
    codes: list[str] = []
    seen: set[str] = set()
    for code in _CODE_SEPARATORS.split(text or ""):
        if code and code.upper() not in seen:
            seen.add(code.upper())
            codes.append(code)
    if any(len(code) > PROMO_CODE_MAX_LENGTH for code in codes):
        return [], [_("A promo code is at most %(n)d characters long.") % {"n": PROMO_CODE_MAX_LENGTH}]
    if len(codes) > PROMO_CODES_MAX:
        return [], [_("Enter at most %(n)d promo codes.") % {"n": PROMO_CODES_MAX}]
    return codes, []


def promo_code_statuses(calculation) -> list[dict]:
    """Each code of a calculation (`calc.extras["codes"]`: [{code, status, reason, detail}]) with what the cashier reads:
    applied, or rejected with the reason in the active language."""
    if isinstance(calculation, dict):
        found = calculation.get("codes")
    else:
        found = getattr(calculation, "codes", None) or (getattr(calculation, "extras", None) or {}).get("codes")
    statuses = []
    for item in found or ():
        if not isinstance(item, dict):
            continue
        reason = item.get("reason") or ""
        applied = item.get("status") == "applied"
        text = "" if applied else str(PROMO_CODE_REASONS.get(reason) or item.get("detail") or reason)
        statuses.append({"code": item.get("code", ""), "applied": applied, "reason": reason, "text": text})
    return statuses


def promo_code_refusal(code: str) -> str | None:
    """The cashier's message when a commit is refused for a promo code (`code` the refusal's code), else None."""
    reason = PROMO_CODE_REASONS.get(code)
    return str(reason) if reason is not None else None


def draft_errors_to_fields(message_dict: dict, rows: dict[int, int]) -> dict[str, list[str]]:
    """Map draft_parse's keys (`lines[2].price`, `redeem_points`) to the sale form's field names."""
    fields: dict[str, list[str]] = {}
    for key, messages in message_dict.items():
        match = re.fullmatch(r"lines\[(\d+)\](?:\.(\w+))?", key)
        if match:
            row = rows.get(int(match.group(1)), -1)
            part = match.group(2) or "price"
            if row == -1:
                name = "amount"
            else:
                name = {"price": "price", "quantity": "qty", "sku": "item", "name": "item"}.get(part, "price") + f"_{row}"
        elif key == "lines":
            name = "amount"
        elif key == "redeem_points":
            name = "redeem"
        elif key == "promo_codes":
            name = "promo_codes"
        else:
            name = "general"
        fields.setdefault(name, []).extend(messages)
    return fields


def receipt_number_generate(*, store_code: str, timezone_name: str, now: datetime) -> str:
    """A receipt number for a counter sale: C-<store>-<local date and time>-<2 random digits>.

    Unique per store by the receipts' constraint; the random tail makes two sales in the same
    second collide only one time in a hundred, and the committer retries on a collision.
    """
    local = now.astimezone(ZoneInfo(timezone_name))
    return f"C-{store_code.upper()[:12]}-{local:%y%m%d-%H%M%S}-{secrets.randbelow(100):02d}"


def refund_data_build(post, *, lines) -> tuple[dict | None, dict[int, int], dict]:
    """The refund body from the return form: {} for everything left, or the lines and quantities typed.

    Returns (data, rows, errors): `rows` maps the body's line index to the receipt line's id, so an
    error keyed `lines[0].quantity` shows beside its input; data is None when nothing was chosen.
    """
    if post.get("action") == "all":
        return {}, {}, {}
    chosen = []
    rows: dict[int, int] = {}
    for line in lines:
        raw = (post.get(f"qty_{line.pk}") or "").strip()
        if not raw:
            continue
        rows[len(chosen)] = line.pk
        chosen.append({"sku": line.sku, "quantity": number_text_normalize(raw)})
    if not chosen:
        return None, rows, {"general": [_("Enter a quantity for at least one line, or return everything.")]}
    return {"lines": chosen}, rows, {}


def refund_excess_errors(post, *, lines) -> dict[str, list[str]]:
    """Per-line messages for quantities above what is left to return, in the cashier's words.

    Used when the return service refuses the quantities as a whole (refund_exceeds_purchase): the
    form then says which line, never the line's SKU or a raw "1.000".
    """
    errors: dict[str, list[str]] = {}
    for line in lines:
        text = number_text_normalize((post.get(f"qty_{line.pk}") or "").strip())
        try:
            asked = Decimal(text)
        except (InvalidOperation, ValueError):
            continue
        left = line.quantity - line.returned_quantity
        if not asked.is_finite() or asked <= left:
            continue
        if left <= 0:
            message = _("This line has already been returned in full.")
        else:
            message = _("At most %(left)s can be returned on this line (bought %(bought)s).") % {
                "left": quantity_format(left), "bought": quantity_format(line.quantity)}
        errors[f"qty_{line.pk}"] = [message]
    return errors


def refund_errors_to_fields(message_dict: dict, rows: dict[int, int]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for key, messages in message_dict.items():
        match = re.match(r"lines\[(\d+)\]", key)
        name = f"qty_{rows[int(match.group(1))]}" if match and int(match.group(1)) in rows else "general"
        fields.setdefault(name, []).extend(messages)
    return fields

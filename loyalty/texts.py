"""Texts stored as a code and parameters, rendered in the reader's language.

A ledger entry, an explanation of a calculation and a message to a customer are read by people with
different languages: the cashier and the marketer in their screen's language, the customer in the one
they chose, an API client in the merchant's. So what is stored is a message code and its parameters
(`{"code": "entry.accrual", "params": {"number": "A-17"}}`); free text typed by a person, such as an
adjustment's reason, is a parameter and stays verbatim. `text_render` turns one into words in the
active language (or `language`).

Rows written before the codes existed carry only the text rendered at the time. `entry_text` reads
them too: a description that matches one of the known sentences in any language is read back into its
code and parameters and rendered anew; anything else is shown as stored.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


# Numbers inside explanations (rates and amounts, stored as "5", "2.5", "164.00") read with the
# reader's decimal mark; no grouping, so an English text stays exactly as the API documents it.
NUMERIC_PARAMS = ("rate", "base", "paid", "value", "quantity")


def _localised(params: dict) -> dict:
    mark = "," if (translation.get_language() or "en").split("-")[0] == "ru" else "."
    if mark == ".":
        return params
    return {key: value.replace(".", mark) if key in NUMERIC_PARAMS and isinstance(value, str) else value for key, value in params.items()}


def _n(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


# code → a function of the parameters that returns the text in the active language.
MESSAGES: dict[str, Callable[[dict], str]] = {
    # Ledger entries (Entry.description_code)
    "entry.accrual": lambda p: _("Points for purchase, receipt %(number)s") % p,
    "entry.redemption": lambda p: _("Paid with points for receipt %(number)s") % p,
    "entry.refund_taken": lambda p: _("Points taken back for items returned from receipt %(number)s") % p,
    "entry.refund_given": lambda p: _("Points given back for items returned from receipt %(number)s") % p,
    "entry.adjustment": lambda p: _("Adjustment: %(reason)s") % p,
    "entry.expiry": lambda p: _("Points expired"),
    "entry.welcome": lambda p: _("Welcome bonus for joining"),
    "entry.import": lambda p: _("Balance brought over from the previous program"),
    # A receipt of someone who shares this account (a family member): the entry names them.
    "entry.accrual_by": lambda p: _("Points for %(member)s's purchase, receipt %(number)s") % p,
    "entry.redemption_by": lambda p: _("Paid with points by %(member)s for receipt %(number)s") % p,
    # Explanations of a calculation (Receipt.applied, the calculate response)
    "applied.tier_discount.name": lambda p: _("%(tier)s: %(rate)s%% discount") % p,
    "applied.tier_discount.detail": lambda p: _("%(rate)s%% of %(base)s") % p,
    "applied.tier_rate": lambda p: _("%(tier)s: %(rate)s%% instead of %(base)s%%") % p,
    "applied.tier_cap": lambda p: _("%(tier)s: up to %(rate)s%% of the receipt in points") % p,
    "applied.redemption.name": lambda p: _("Points redeemed"),
    "applied.redemption.detail": lambda p: ngettext(
        "%(points)d point at %(value)s each", "%(points)d points at %(value)s each", _n(p.get("points"))
    ) % p,
    "applied.base_accrual": lambda p: _("Base accrual %(rate)s%%") % p,
    "applied.accrual": lambda p: _("Accrual %(rate)s%%") % p,
    "applied.accrual.detail": lambda p: _("%(rate)s%% of %(paid)s paid in money, rounded down") % p,
    # Promotions (promotions.pipeline): `name` is the marketer's words, kept verbatim
    "applied.promotion.name": lambda p: "%(name)s" % p,
    "applied.promotion.percent_off": lambda p: _("%(rate)s%% off") % p,
    "applied.promotion.amount_off": lambda p: _("%(value)s off") % p,
    "applied.promotion.fixed_price": lambda p: _("at %(value)s each") % p,
    "applied.promotion.points_multiplier": lambda p: _("points ×%(value)s") % p,
    "applied.promotion.extra_points_percent": lambda p: _("+%(rate)s%% in points") % p,
    "applied.promotion.extra_points": lambda p: ngettext(
        "+%(points)d bonus point", "+%(points)d bonus points", _n(p.get("points"))
    ) % p,
    "applied.promotion.unlock": lambda p: _("unlocks an offer: %(promotion)s") % p,
    "applied.promotion.block_accrual": lambda p: _("no points earned on these items"),
    "applied.promotion.block_redemption": lambda p: _("these items cannot be paid with points"),
    "applied.promotion.budget_cut": lambda p: _("cut to what remains of its budget"),
    "applied.gift.name": lambda p: _("Gift: %(name)s") % p,
    "applied.gift.detail": lambda p: _("%(quantity)s × %(sku)s free") % p,
    "promotion.not_applied.schedule": lambda p: _("Not running at the time of purchase"),
    "promotion.not_applied.audience": lambda p: _("The customer is not in its audience"),
    "promotion.not_applied.customer_required": lambda p: _("Needs an identified customer"),
    "promotion.not_applied.conditions": lambda p: _("The receipt does not meet its conditions"),
    "promotion.not_applied.no_target": lambda p: _("None of its items are on the receipt"),
    "promotion.not_applied.limits": lambda p: _("Its limits are used up"),
    "promotion.not_applied.code": lambda p: _("Needs a promo code"),
    "promotion.not_applied.exclusive": lambda p: _("An exclusive promotion took its items: %(by)s") % p,
    "promo_code.applied": lambda p: _("Code %(promo_code)s applied: %(name)s") % p,
    "promo_code.promo_code_unknown": lambda p: _("There is no promo code %(promo_code)s") % p,
    "promo_code.promo_code_expired": lambda p: _("The promo code %(promo_code)s has expired") % p,
    "promo_code.promo_code_used": lambda p: _("The promo code %(promo_code)s has already been used") % p,
    "promo_code.promo_code_not_yours": lambda p: _("The promo code %(promo_code)s belongs to another customer") % p,
    "promo_code.promo_code_not_applicable": lambda p: _("The promo code %(promo_code)s does not apply to this receipt") % p,
    # Messages to customers (CustomerMessage.code): title and body
    "tier.up.title": lambda p: _("Welcome to %(tier)s!") % p,
    "tier.up.body": lambda p: _("You have reached the %(tier)s tier. Its benefits apply from your next purchase.") % p,
    "tier.down.title": lambda p: _("Your tier is now %(tier)s") % p,
    "tier.down.body": lambda p: _("Your tier has changed to %(tier)s. Keep shopping to climb again.") % p,
}

# A short form read beside the entry kind's badge, so the badge's word is not repeated next to it.
SHORT: dict[str, Callable[[dict], str]] = {
    "entry.accrual": lambda p: _("Receipt %(number)s") % p,
    "entry.redemption": lambda p: _("Receipt %(number)s") % p,
    "entry.refund_taken": lambda p: _("Points taken back for items returned from receipt %(number)s") % p,
    "entry.refund_given": lambda p: _("Points given back for items returned from receipt %(number)s") % p,
    "entry.adjustment": lambda p: p.get("reason", ""),
    "entry.expiry": lambda p: "",
    "entry.welcome": lambda p: "",
    "entry.import": lambda p: "",
    "entry.accrual_by": lambda p: _("%(member)s, receipt %(number)s") % p,
    "entry.redemption_by": lambda p: _("%(member)s, receipt %(number)s") % p,
}


def message_register(code: str, render: Callable[[dict], str], *, short: Callable[[dict], str] | None = None) -> None:
    """Add a message other apps store (their entries' descriptions, their explanations). `render` turns
    the parameters into words with the app's own gettext; `short` is the form beside an entry's kind
    badge. Registering a code again replaces it. Call from AppConfig.ready()."""
    MESSAGES[code] = render
    if short is not None:
        SHORT[code] = short


def masked_name(customer) -> str:
    """How another customer is named to someone who must not see their phone: "Artem ••67"."""
    digits = "".join(ch for ch in (customer.phone or "") if ch.isdigit())
    return f"{customer.name or '•••'} ••{digits[-2:]}".strip()


def message(code: str, **params) -> dict:
    """What to store: `{"code": ..., "params": {...}}`. Parameters must be JSON values."""
    return {"code": code, "params": params}


def text_render(code: str, params: dict | None = None, *, language: str | None = None, fallback: str = "", short: bool = False) -> str:
    """The text of `code` with `params` in the active language (or `language`); `fallback` if unknown."""
    table = SHORT if short else MESSAGES
    render = table.get(code) or (MESSAGES.get(code) if short else None)
    if render is None:
        return fallback
    try:
        if language:
            with translation.override(language):
                return str(render(_localised(params or {})))
        return str(render(_localised(params or {})))
    except (KeyError, TypeError, ValueError):
        return fallback


def message_render(item: dict | None, *, language: str | None = None, fallback: str = "") -> str:
    """Render a stored `{"code", "params"}`; `fallback` for None or an unknown code."""
    if not isinstance(item, dict):
        return fallback
    return text_render(item.get("code") or "", item.get("params"), language=language, fallback=fallback)


# ---------------------------------------------------------------- ledger entries

ENTRY_CODES = ("entry.accrual", "entry.redemption", "entry.refund_taken", "entry.refund_given", "entry.adjustment", "entry.expiry", "entry.welcome")


@lru_cache(maxsize=1)
def _entry_patterns() -> list[tuple[re.Pattern, str]]:
    """Each entry sentence in each language as a pattern whose groups are its parameters."""
    patterns = []
    for language, _name in settings.LANGUAGES:
        for code in ENTRY_CODES:
            names = {"number": "\x00number\x00", "reason": "\x00reason\x00"}
            sentence = text_render(code, names, language=language)
            regex = re.escape(sentence)
            for name, marker in names.items():
                regex = regex.replace(re.escape(marker), f"(?P<{name}>.+)")
            patterns.append((re.compile(f"^{regex}$", re.DOTALL), code))
    return patterns


def entry_code_guess(description: str) -> tuple[str, dict] | None:
    """The code and parameters of a description written before codes were stored, or None."""
    for pattern, code in _entry_patterns():
        found = pattern.match(description or "")
        if found:
            return code, found.groupdict()
    return None


def entry_text(entry, *, language: str | None = None, short: bool = False) -> str:
    """An entry's description in the reader's language; `short` for beside the kind badge."""
    code, params = getattr(entry, "description_code", ""), getattr(entry, "description_params", None) or {}
    if not code:
        guess = entry_code_guess(entry.description)
        if guess is None:
            return entry.description
        code, params = guess
    return text_render(code, params, language=language, fallback=entry.description, short=short)


# ---------------------------------------------------------------- explanations (applied)

def applied_render(items: list[dict] | None, *, language: str | None = None) -> list[dict]:
    """`applied` as the API and the screens read it: `name` and `detail` in the reader's language.

    Each stored item may carry `text` ({"name": message, "detail": [message, ...]}); it is used to
    render and then dropped, so the shape stays {kind, name, detail, points?, amount?, ...}.
    Items without it (older receipts, other mechanics) keep their stored words.
    """
    out = []
    for item in items or []:
        if not isinstance(item, dict):
            continue
        item = dict(item)
        text = item.pop("text", None)
        if isinstance(text, dict):
            if text.get("name"):
                item["name"] = message_render(text["name"], language=language, fallback=item.get("name", ""))
            if text.get("detail"):
                parts = [message_render(part, language=language) for part in text["detail"]]
                item["detail"] = " · ".join(part for part in parts if part) or item.get("detail", "")
        out.append(item)
    return out


def applied_store(items: list[dict], *, language: str) -> list[dict]:
    """`applied` to store on a receipt: words in `language` (the merchant's), the messages kept."""
    return [
        {**rendered, "text": item["text"]} if isinstance(item, dict) and "text" in item else rendered
        for item, rendered in zip(items, applied_render(items, language=language))
    ]


def message_title_body(message, *, language: str | None = None) -> tuple[str, str]:
    """A customer message's title and body in `language` (or the active one); stored text for old rows."""
    code = getattr(message, "code", "")
    if not code:
        return message.title, message.body
    params = message.params or {}
    return (
        text_render(f"{code}.title", params, language=language, fallback=message.title),
        text_render(f"{code}.body", params, language=language, fallback=message.body),
    )

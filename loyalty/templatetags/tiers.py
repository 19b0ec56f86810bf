"""Tier wording shared by the back-office, the counter and the portal: what a tier gives, its
conditions, and how far the next tier is ("3,400.00 ₽ more to Gold", "2 more purchases to Gold").
"""
from decimal import Decimal

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from loyalty.templatetags.ui import money, percent

register = template.Library()


def _amount(value, merchant) -> str:
    return money(Decimal(str(value)), merchant)


def condition_text(key: str, value, merchant) -> str:
    if key == "total_spend":
        return _("spend %(amount)s") % {"amount": _amount(value, merchant)}
    if key == "single_receipt":
        return _("one receipt of %(amount)s") % {"amount": _amount(value, merchant)}
    count = int(value)
    if key == "purchases":
        return ngettext("%(count)s purchase", "%(count)s purchases", count) % {"count": count}
    if key == "referrals":
        return ngettext("%(count)s friend invited", "%(count)s friends invited", count) % {"count": count}
    return f"{key}: {value}"


def conditions_text(conditions: dict | None, merchant) -> str:
    parts = [condition_text(key, value, merchant) for key, value in (conditions or {}).items()]
    return _(" and ").join(parts)


@register.simple_tag
def tier_entry(tier, merchant) -> str:
    """`spend ₽10,000.00 in the last 365 days`, or `on joining` for a tier without entry conditions."""
    if not tier.entry:
        return _("on joining")
    text = conditions_text(tier.entry, merchant)
    if tier.window_days:
        text += " " + ngettext("in the last %(days)s day", "in the last %(days)s days", tier.window_days) % {"days": tier.window_days}
    return text


@register.simple_tag
def tier_keep(tier, merchant) -> str:
    if tier.keep is None:
        return _("kept once reached")
    if not tier.keep:
        return _("kept for good")
    text = conditions_text(tier.keep, merchant)
    if tier.window_days:
        text += " " + ngettext("in the last %(days)s day", "in the last %(days)s days", tier.window_days) % {"days": tier.window_days}
    return _("kept while: %(conditions)s") % {"conditions": text}


@register.simple_tag
def tier_gives(tier, program, short=False) -> str:
    """`7 % points · 3 % off · up to 30 % with points`; null rates are the program's."""
    if tier is None:
        return ""
    accrual = tier.accrual_percent if tier.accrual_percent is not None else getattr(program, "accrual_percent", None)
    parts = []
    if accrual is not None:
        parts.append(_("%(percent)s points") % {"percent": percent(accrual)})
    if tier.discount_percent:
        parts.append(_("%(percent)s off") % {"percent": percent(tier.discount_percent)})
    if tier.max_redeem_percent is not None and not short:
        parts.append(_("up to %(percent)s payable with points") % {"percent": percent(tier.max_redeem_percent)})
    return " · ".join(parts)


@register.simple_tag
def tier_progress_text(progress, merchant, top_text="") -> str:
    """One sentence for the nearest entry condition of the next tier (see selectors.tier_progress_get)."""
    if not progress or not progress.get("next"):
        return top_text or _("The top tier: there is nothing higher.")
    name = progress["next"]["name"]
    key = progress.get("nearest")
    remaining = progress.get("remaining", {}).get(key) if key else None
    if key is None or remaining in (None, 0, "0.00"):
        return _("The conditions of %(tier)s are met; the tier applies shortly.") % {"tier": name}
    if key == "total_spend":
        return _("%(amount)s more to %(tier)s") % {"amount": _amount(remaining, merchant), "tier": name}
    if key == "single_receipt":
        threshold = progress.get("threshold")
        amount = _amount(threshold if threshold is not None else remaining, merchant)
        return _("One purchase of %(amount)s or more reaches %(tier)s") % {"amount": amount, "tier": name}
    count = int(remaining)
    if key == "purchases":
        return ngettext("%(count)s more purchase to %(tier)s", "%(count)s more purchases to %(tier)s", count) % {"count": count, "tier": name}
    if key == "referrals":
        return ngettext("%(count)s more friend to %(tier)s", "%(count)s more friends to %(tier)s", count) % {"count": count, "tier": name}
    return name


@register.filter
def progress_percent(progress) -> int:
    """0–100 for the width of a progress bar."""
    if not progress:
        return 0
    return max(0, min(100, int(round(float(progress.get("progress") or 0) * 100))))

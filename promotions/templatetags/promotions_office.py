"""Short texts of a promotion for the marketer's list: its schedule and its budgets."""
from zoneinfo import ZoneInfo

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from loyalty.templatetags.ui import money, points

register = template.Library()



def _day(number: int) -> str:
    from promotions.office.forms import WEEKDAYS

    return str(dict(WEEKDAYS)[number])


@register.filter
def schedule_summary(promotion) -> str:
    """"from 1 Dec 10:00 to 31 Dec 00:00 · Fri 18:00–20:00" in the merchant's time zone."""
    zone = ZoneInfo(promotion.merchant.timezone)
    parts = []
    start = date_format(promotion.starts_at.astimezone(zone), "SHORT_DATETIME_FORMAT") if promotion.starts_at else None
    end = date_format(promotion.ends_at.astimezone(zone), "SHORT_DATETIME_FORMAT") if promotion.ends_at else None
    if start and end:
        parts.append(_("%(start)s – %(end)s") % {"start": start, "end": end})
    elif start:
        parts.append(_("from %(start)s") % {"start": start})
    elif end:
        parts.append(_("until %(end)s") % {"end": end})
    else:
        parts.append(_("always"))
    for window in promotion.weekly or []:
        days = ", ".join(_day(day) for day in window["days"])
        parts.append(f"{days} {window['from']}–{window['to']}")
    return " · ".join(parts)


@register.filter
def spent_money(promotion) -> str:
    """"1,240.00 of 5,000.00" against the budget, or the amount alone without one."""
    merchant = promotion.merchant
    budget = (promotion.limits or {}).get("budget_amount")
    spent = money(promotion.spent_amount, merchant)
    if budget is None:
        return spent
    return _("%(spent)s of %(budget)s") % {"spent": spent, "budget": money(budget, merchant)}


@register.filter
def spent_points(promotion) -> str:
    budget = (promotion.limits or {}).get("budget_points")
    if budget is None:
        return points(promotion.spent_points)
    return _("%(spent)s of %(budget)s") % {"spent": points(promotion.spent_points), "budget": points(budget)}


@register.filter
def uses_summary(promotion) -> str:
    total = (promotion.limits or {}).get("total_uses")
    if total is None:
        return points(promotion.uses)
    return _("%(spent)s of %(budget)s") % {"spent": points(promotion.uses), "budget": points(total)}


@register.filter
def effect_summary(promotion) -> str:
    from promotions.office.forms import EFFECT_CHOICES

    names = dict(EFFECT_CHOICES)
    out = []
    for effect in promotion.effects or []:
        label = str(names.get(effect.get("type"), effect.get("type")))
        if effect.get("type") == "unlock":
            out.append(f"{label}: {effect.get('promotion')}")
        else:
            out.append(f"{label}: {effect.get('value')}")
    return "; ".join(out)

"""How the promotions app's events read in the audit log, in the reader's language.

"Promotion Yellow price (milk-25) created", "Promotion milk-25: active from on to off",
"Offer of plants-20 for Anna (+7 999 123-45-67), 14 days, 1 use", "50 personal codes generated for
milk-25". Registered into loyalty's audit wording registry from `PromotionsConfig.ready()`.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from loyalty.audit_text import AuditWording, audit_wording_register, change_text
from loyalty.money import quantity_text

FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "description": gettext_lazy("description"),
    "active": gettext_lazy("active"),
    "starts_at": gettext_lazy("start"),
    "ends_at": gettext_lazy("end"),
    "schedule": gettext_lazy("schedule"),
    "audience": gettext_lazy("audience"),
    "conditions": gettext_lazy("conditions"),
    "target": gettext_lazy("target"),
    "effects": gettext_lazy("effects"),
    "blocks": gettext_lazy("blocks"),
    "stacking": gettext_lazy("stacking"),
    "priority": gettext_lazy("priority"),
    "limits": gettext_lazy("limits"),
    "budget": gettext_lazy("budget"),
}


def _value(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("on") if value else _("off")
    if isinstance(value, (dict, list)):
        return _("changed")
    return str(value)


def _created(event, data, who, merchant) -> str:
    return _("Promotion %(name)s (%(code)s) created") % {"name": data.get("name") or event.target, "code": event.target}


def _updated(event, data, who, merchant) -> str:
    changes = data.get("changes")
    parts = []
    if isinstance(changes, dict):
        for name, pair in changes.items():
            label = FIELD_LABELS.get(name, name)
            if isinstance(pair, list) and len(pair) == 2 and not isinstance(pair[1], (dict, list)):
                parts.append(change_text(label, _value(pair[0]), _value(pair[1])))
            else:
                parts.append(_("%(field)s changed") % {"field": label})
    if not parts:
        return _("Promotion %(code)s saved without changes") % {"code": event.target}
    return _("Promotion %(code)s: %(changes)s") % {"code": event.target, "changes": "; ".join(parts)}


def _deleted(event, data, who, merchant) -> str:
    return _("Promotion %(name)s (%(code)s) deleted") % {"name": data.get("name") or event.target, "code": event.target}


def _code_created(event, data, who, merchant) -> str:
    return _("Code %(code)s created for promotion %(promotion)s") % {"code": data.get("code") or "—", "promotion": event.target}


def _codes_generated(event, data, who, merchant) -> str:
    count = int(data.get("count") or 0)
    if data.get("bound"):
        return ngettext("%(count)s personal code generated for promotion %(promotion)s for listed customers",
                        "%(count)s personal codes generated for promotion %(promotion)s for listed customers", count) % {
            "count": count, "promotion": event.target}
    return ngettext("%(count)s code generated for promotion %(promotion)s", "%(count)s codes generated for promotion %(promotion)s",
                    count) % {"count": count, "promotion": event.target}


def _offer_granted(event, data, who, merchant) -> str:
    days = int(data.get("days") or 0)
    uses = data.get("uses")
    text = _("Offer of promotion %(promotion)s for %(customer)s") % {"promotion": data.get("promotion") or "—", "customer": who}
    if days:
        text += ", " + ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if uses:
        text += ", " + ngettext("%(count)s use", "%(count)s uses", int(uses)) % {"count": int(uses)}
    return text


def _offer_withdrawn(event, data, who, merchant) -> str:
    return _("Offer of promotion %(promotion)s withdrawn from %(customer)s") % {"promotion": data.get("promotion") or "—", "customer": who}


def _quantity(raw) -> str:
    """5.000 reads as 5, 1.500 as 1.5."""
    try:
        return quantity_text(Decimal(str(raw)))
    except (InvalidOperation, ValueError):
        return str(raw or "1")


def _gift_granted(event, data, who, merchant) -> str:
    return _("Gift %(name)s × %(quantity)s for %(customer)s") % {
        "name": data.get("name") or "—", "quantity": _quantity(data.get("quantity")), "customer": who}


def _gift_withdrawn(event, data, who, merchant) -> str:
    return _("Gift %(name)s withdrawn from %(customer)s") % {"name": data.get("name") or "—", "customer": who}


def register() -> None:
    for action, label, text in (
        ("promotion.created", gettext_lazy("Promotion created"), _created),
        ("promotion.updated", gettext_lazy("Promotion changed"), _updated),
        ("promotion.deleted", gettext_lazy("Promotion deleted"), _deleted),
        ("promotion.code_created", gettext_lazy("Promotion code created"), _code_created),
        ("promotion.codes_generated", gettext_lazy("Promotion codes generated"), _codes_generated),
        ("promotion.offer_granted", gettext_lazy("Offer granted"), _offer_granted),
        ("promotion.offer_withdrawn", gettext_lazy("Offer withdrawn"), _offer_withdrawn),
        ("promotion.gift_granted", gettext_lazy("Gift granted"), _gift_granted),
        ("promotion.gift_withdrawn", gettext_lazy("Gift withdrawn"), _gift_withdrawn),
    ):
        audit_wording_register(action, AuditWording(label=label, text=text))

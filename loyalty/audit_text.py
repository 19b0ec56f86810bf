"""The audit log in words: what each recorded event changed, in the reader's language.

Services record events with their facts in `data` (before and after, ids, names at the time);
this module turns them into one sentence each, e.g. "Role of kate@shop.test changed from Cashier
to Marketer" or "Adjustment +50 points for Anna (+7 999 123-45-67): a broken bag". Events of
kinds this module does not know yet still read as a label and their details, never as a raw dict.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext

from accounts.models import ApiScope, Role
from accounts.phones import phone_display

ACTION_LABELS = {
    "program.updated": gettext_lazy("Program settings changed"),
    "points.adjusted": gettext_lazy("Points adjusted"),
    "staff.added": gettext_lazy("Staff invited"),
    "staff.role_changed": gettext_lazy("Staff role changed"),
    "staff.deactivated": gettext_lazy("Staff deactivated"),
    "api_key.created": gettext_lazy("API key created"),
    "api_key.revoked": gettext_lazy("API key revoked"),
    "customer.updated": gettext_lazy("Customer profile changed"),
    "store.created": gettext_lazy("Store created"),
    "tier.created": gettext_lazy("Tier created"),
    "tier.updated": gettext_lazy("Tier changed"),
    "tier.moved": gettext_lazy("Tier moved"),
    "tier.deleted": gettext_lazy("Tier deleted"),
    "tier.override": gettext_lazy("Tier set by hand"),
    "page.updated": gettext_lazy("Portal page published"),
}

PROGRAM_FIELD_LABELS = {
    "accrual_percent": gettext_lazy("accrual"),
    "max_redeem_percent": gettext_lazy("redemption cap"),
    "point_value": gettext_lazy("value of one point"),
    "points_ttl_days": gettext_lazy("points lifetime"),
    "pending_days": gettext_lazy("activation delay"),
    "welcome_bonus": gettext_lazy("welcome bonus"),
    "welcome_bonus_ttl_days": gettext_lazy("welcome bonus lifetime"),
    "max_receipt_amount": gettext_lazy("largest receipt"),
}

CUSTOMER_FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("email"),
    "birthday": gettext_lazy("birthday"),
    "gender": gettext_lazy("gender"),
    "language": gettext_lazy("language"),
    "consent_email": gettext_lazy("offers by email"),
    "consent_sms": gettext_lazy("offers by SMS"),
    "consent_push": gettext_lazy("portal notifications"),
}

TIER_FIELD_LABELS = {
    "code": gettext_lazy("code"),
    "name": gettext_lazy("name"),
    "rank": gettext_lazy("rank"),
    "accrual_percent": gettext_lazy("accrual"),
    "max_redeem_percent": gettext_lazy("redemption cap"),
    "discount_percent": gettext_lazy("discount"),
    "entry": gettext_lazy("entry conditions"),
    "window_days": gettext_lazy("counting window"),
    "keep": gettext_lazy("conditions to keep it"),
}


@dataclass(frozen=True)
class AuditWording:
    """How an app's events read in the log: a label and a sentence built from the event's facts.

    `text(event, data, who, merchant)` gets the event, its `data`, the customer it is about in words
    (name and phone, or "—") and the merchant; it returns one sentence in the active language.
    """

    label: object
    text: object


_WORDINGS: dict[str, AuditWording] = {}


def audit_wording_register(action: str, wording: AuditWording) -> None:
    """Apps that plug into the core register the wording of their events here (from `AppConfig.ready()`)."""
    _WORDINGS[action] = wording


def audit_action_label(action: str) -> str:
    """The label of an action, the core's or a registered app's, for filters and headings."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    wording = _WORDINGS.get(action)
    return str(wording.label) if wording else action


def audit_action_labels() -> dict:
    """Every known action with its label: the core's and the registered apps'."""
    return {**ACTION_LABELS, **{action: wording.label for action, wording in _WORDINGS.items()}}


@dataclass
class AuditLine:
    """One event as the audit log shows it."""

    event: object
    label: str
    text: str
    customer: object = None  # the customer the event is about, for a link


def _customer_text(customer, phone: str) -> str:
    shown = phone_display(phone) if phone else ""
    if customer is not None and customer.name:
        return f"{customer.name} ({phone_display(customer.phone)})"
    if customer is not None:
        return phone_display(customer.phone)
    return shown or "—"


def _empty() -> str:
    return "—"


def _yes_no(value) -> str:
    return _("on") if value else _("off")


def _program_value(name: str, raw, merchant) -> str:
    from loyalty.templatetags.ui import money, percent, points

    if raw in (None, "", "None"):
        return {"points_ttl_days": _("never expire"), "welcome_bonus_ttl_days": _("never expires"),
                "max_receipt_amount": _("no limit")}.get(name, _empty())
    try:
        number = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return str(raw)
    if name.endswith("_percent"):
        return percent(number)
    if name in ("point_value", "max_receipt_amount"):
        return money(number, merchant)
    if name.endswith("_days"):
        days = int(number)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    if name == "welcome_bonus":
        count = int(number)
        return ngettext("%(count)s point", "%(count)s points", count) % {"count": points(count)}
    return str(raw)


def _same(a, b) -> bool:
    try:
        return Decimal(str(a)) == Decimal(str(b))
    except (InvalidOperation, ValueError):
        return str(a) == str(b)


def change_text(label, before: str, after: str) -> str:
    return _("%(field)s from %(before)s to %(after)s") % {"field": label, "before": before, "after": after}


def _customer_value(name: str, value) -> str:
    from accounts.models import Gender

    if value in (None, ""):
        return _empty()
    if isinstance(value, bool):
        return _yes_no(value)
    if name == "phone":
        return phone_display(str(value))
    if name == "gender":
        return str(dict(Gender.choices).get(value, value))
    if name == "language":
        from django.conf import settings

        return str(dict(settings.LANGUAGES).get(value, value))
    return str(value)


def _tier_value(name: str, value, merchant) -> str:
    from loyalty.templatetags.tiers import conditions_text
    from loyalty.templatetags.ui import percent

    if name in ("entry", "keep"):
        if value is None:
            return _("kept once reached") if name == "keep" else _empty()
        if isinstance(value, dict):
            return conditions_text(value, merchant) if value else _("none")
        return str(value)
    if value in (None, ""):
        return _empty()
    if name.endswith("_percent"):
        try:
            return percent(Decimal(str(value)))
        except (InvalidOperation, ValueError):
            return str(value)
    if name == "window_days":
        days = int(value)
        return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}
    return str(value)


def _role(value) -> str:
    return str(dict(Role.choices).get(value, value or _empty()))


def _details(data: dict) -> str:
    """Any other event's facts as "key: value" pairs, skipping ids."""
    parts = []
    for key, value in (data or {}).items():
        if key in ("customer", "entry") or isinstance(value, (dict, list)):
            continue
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def audit_line(event, *, merchant, customers: dict) -> AuditLine:
    """The event in words. `customers` maps customer ids (as text) and phones to customers (audit_customers_for)."""
    data = event.data if isinstance(event.data, dict) else {}
    action = event.action
    label = audit_action_label(action)
    customer = customers.get(str(data.get("customer") or "")) or customers.get(event.target)
    who = _customer_text(customer, data.get("phone") or event.target)
    reason = event.reason
    text = ""

    if action == "points.adjusted":
        points_value = int(data.get("points") or 0)
        from loyalty.templatetags.ui import points as points_filter

        signed = points_filter(points_value, "signed") if points_value > 0 else points_filter(points_value)
        text = ngettext("Adjustment %(points)s point for %(customer)s", "Adjustment %(points)s points for %(customer)s",
                        abs(points_value)) % {"points": signed, "customer": who}
    elif action == "program.updated":
        before, after = data.get("before") or {}, data.get("after") or {}
        changes = [
            change_text(PROGRAM_FIELD_LABELS.get(name, name), _program_value(name, before.get(name), merchant), _program_value(name, value, merchant))
            for name, value in after.items() if not _same(before.get(name), value)
        ]
        text = _("Program settings: %(changes)s") % {"changes": "; ".join(changes)} if changes else _("Program settings saved without changes")
    elif action == "staff.added":
        text = _("%(email)s invited as %(role)s") % {"email": event.target, "role": _role(data.get("role"))}
    elif action == "staff.role_changed":
        if data.get("before"):
            text = _("Role of %(email)s changed from %(before)s to %(after)s") % {
                "email": event.target, "before": _role(data.get("before")), "after": _role(data.get("role"))}
        else:
            text = _("Role of %(email)s set to %(role)s") % {"email": event.target, "role": _role(data.get("role"))}
    elif action == "staff.deactivated":
        text = _("%(email)s (%(role)s) can no longer sign in") % {"email": event.target, "role": _role(data.get("role"))}
    elif action == "api_key.created":
        scope = dict(ApiScope.choices).get(data.get("scope"), data.get("scope") or "")
        text = _("API key %(prefix)s… created: %(scope)s") % {"prefix": event.target, "scope": scope}
    elif action == "api_key.revoked":
        text = _("API key %(prefix)s… revoked") % {"prefix": event.target}
    elif action == "store.created":
        text = _("Store %(name)s (%(code)s) added") % {"name": data.get("name") or event.target, "code": event.target}
    elif action == "customer.updated":
        changes = data.get("changes")
        if isinstance(changes, dict):
            parts = [change_text(CUSTOMER_FIELD_LABELS.get(name, name), _customer_value(name, pair[0]), _customer_value(name, pair[1]))
                     for name, pair in changes.items() if isinstance(pair, list) and len(pair) == 2]
        else:  # older events recorded the new values only
            parts = [f"{CUSTOMER_FIELD_LABELS.get(name, name)}: {_customer_value(name, value)}" for name, value in data.items()]
        text = _("Profile of %(customer)s: %(changes)s") % {"customer": who, "changes": "; ".join(parts)}
    elif action == "tier.created":
        text = _("Tier %(name)s (%(code)s) created at rank %(rank)s") % {
            "name": data.get("name") or event.target, "code": event.target, "rank": data.get("rank", "—")}
    elif action == "tier.updated":
        changes = data.get("changes")
        if isinstance(changes, dict):
            parts = [change_text(TIER_FIELD_LABELS.get(name, name), _tier_value(name, pair[0], merchant), _tier_value(name, pair[1], merchant))
                     for name, pair in changes.items() if isinstance(pair, list) and len(pair) == 2]
        else:
            parts = [f"{TIER_FIELD_LABELS.get(name, name)}: {value}" for name, value in data.items()]
        name = data.get("name") or event.target
        text = (_("Tier %(name)s: %(changes)s") % {"name": name, "changes": "; ".join(parts)}) if parts else (
            _("Tier %(name)s saved without changes") % {"name": name})
    elif action == "tier.moved":
        text = _("Tier %(code)s moved to rank %(rank)s, swapping places with %(other)s") % {
            "code": event.target, "rank": data.get("rank", "—"), "other": data.get("swapped_with", "—")}
    elif action == "tier.deleted":
        moved = int(data.get("moved") or 0)
        text = ngettext("Tier %(name)s deleted; %(count)s customer moved", "Tier %(name)s deleted; %(count)s customers moved", moved) % {
            "name": data.get("name") or event.target, "count": moved}
    elif action == "tier.override":
        from loyalty.templatetags.ui import local_format

        if data.get("tier"):
            until = parse_datetime(data["until"]) if data.get("until") else None
            text = _("Tier of %(customer)s set by hand to %(tier)s until %(until)s") % {
                "customer": who, "tier": data.get("tier_name") or data["tier"],
                "until": local_format(until, merchant, "date") if until else "—"}
        else:
            text = _("Tier of %(customer)s no longer set by hand") % {"customer": who}
    elif action == "page.updated":
        from loyalty.models import ProgramPage

        kind = data.get("kind") or event.target
        title = dict(ProgramPage.Kind.choices).get(kind, kind)
        length = data.get("length") or [0, 0]
        after = int(length[1]) if isinstance(length, list) and len(length) == 2 else 0
        text = (ngettext("%(page)s published (%(count)s character)", "%(page)s published (%(count)s characters)", after) % {
            "page": title, "count": after}) if after else (_("%(page)s cleared: the portal shows the summary of the settings") % {"page": title})
    elif action in _WORDINGS:
        text = _WORDINGS[action].text(event, data, who, merchant)
    else:
        details = _details(data)
        text = " · ".join(part for part in (label, event.target, details) if part)

    if reason:
        text = f"{text}: {reason}"
    return AuditLine(event=event, label=label, text=text, customer=customer)

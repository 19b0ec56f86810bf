"""Triggers: automatic messages on an event, at most once per customer per occasion.

`triggers_run(now=...)` finds each active trigger's occasions with one query, writes one Delivery row per
(trigger, customer, occasion) — a unique constraint makes a second run write nothing — and sends the new rows
through campaigns.delivery (triggered messages do not count against the weekly marketing cap).

Occasion keys: welcome "welcome"; first_purchase "first_purchase"; birthday "birthday:<year>";
winback "winback:<date of the last purchase or of joining>"; tier_reached "tier:<code>:<date reached>";
category_purchase "receipt:<receipt id>". A birthday trigger with `"family": true` also fires for the family
members' birthdays a customer recorded on their profile (referrals' FamilyBirthday), addressed to that customer,
key "family-birthday:<record id>:<year>" (a second query).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.models import Customer, Merchant
from campaigns import delivery
from campaigns.messages import channels_check, code_check, int_check, offer_check, offer_resolve, text_check
from campaigns.models import Delivery, Trigger
from referrals.models import FamilyBirthday

S = Delivery.Status
EVENTS = tuple(Trigger.Event.values)
PARAMS = {
    "welcome": (), "first_purchase": (), "birthday": ("days_before", "family"), "winback": ("days",),
    "tier_reached": ("tier",), "category_purchase": ("category", "delay_days"),
}
ALL_PARAMS = ("days_before", "family", "days", "tier", "category", "delay_days")
FIELDS = ("code", "name", "event", "channels", "subject", "text", "offer", "active", *ALL_PARAMS)
RECENT_DAYS = 7  # welcome, first purchase, tier reached and category purchases older than this are not messaged


def trigger_validate(*, merchant: Merchant, data, trigger: Trigger | None = None) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    creating = trigger is None
    for key in data:
        if key not in FIELDS and key != "sent_last_week":
            errors[str(key)[:64]] = [_("Unknown field.")]
    clean: dict = {}
    if creating:
        code = code_check(data.get("code"), field="code", errors=errors)
        if code and Trigger.objects.filter(merchant=merchant, code=code).exists():
            errors["code"] = [_("A trigger with this code exists.")]
        clean["code"] = code
    elif "code" in data and data["code"] != trigger.code:
        errors["code"] = [_("The code cannot be changed.")]
    if creating or "name" in data:
        clean["name"] = text_check(data.get("name"), field="name", errors=errors, max_length=200, required=True)
    event = trigger.event if trigger else None
    if creating or "event" in data:
        event = data.get("event")
        if event not in EVENTS:
            errors["event"] = [_("Use one of: %(events)s.") % {"events": ", ".join(EVENTS)}]
            event = None
        clean["event"] = event
    if creating or "channels" in data:
        clean["channels"] = channels_check(data.get("channels", ["email", "push"]), field="channels", errors=errors)
    if "subject" in data:
        clean["subject"] = text_check(data["subject"], field="subject", errors=errors, max_length=200, required=False)
    if creating or "text" in data:
        clean["text"] = text_check(data.get("text"), field="text", errors=errors, max_length=5000, required=True)
    if "offer" in data:
        clean["offer"] = offer_check(data["offer"], merchant=merchant, field="offer", errors=errors)
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Send true or false.")]
        clean["active"] = data["active"]
    if event:
        params = dict(trigger.params) if trigger and trigger.event == event else {}
        for key in ALL_PARAMS:
            if key in data and key not in PARAMS[event]:
                errors[key] = [_("Not used by the %(event)s event.") % {"event": event}]
        if event == "birthday":
            params["days_before"] = int_check(data.get("days_before", params.get("days_before", 0)), field="days_before", errors=errors,
                                              low=0, high=60, nullable=False)
            family = data.get("family", params.get("family", False))
            if not isinstance(family, bool):
                errors["family"] = [_("Send true or false.")]
            params["family"] = family
        elif event == "winback":
            params["days"] = int_check(data.get("days", params.get("days")), field="days", errors=errors, low=1, high=3650, nullable=False)
        elif event == "tier_reached":
            tier = code_check(data.get("tier", params.get("tier")), field="tier", errors=errors)
            if tier:
                from loyalty.selectors import tier_list

                if not tier_list(merchant=merchant).filter(code=tier).exists():
                    errors["tier"] = [_("Unknown tier: %(code)s.") % {"code": tier}]
            params["tier"] = tier
        elif event == "category_purchase":
            params["category"] = text_check(data.get("category", params.get("category")), field="category", errors=errors,
                                            max_length=100, required=True)
            params["delay_days"] = int_check(data.get("delay_days", params.get("delay_days", 0)), field="delay_days", errors=errors,
                                             low=0, high=365, nullable=False)
        clean["params"] = params
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def trigger_create(*, merchant: Merchant, data) -> Trigger:
    return Trigger.objects.create(merchant=merchant, **trigger_validate(merchant=merchant, data=data))


@transaction.atomic
def trigger_update(*, trigger: Trigger, data) -> Trigger:
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    for name, value in trigger_validate(merchant=trigger.merchant, data=data, trigger=trigger).items():
        setattr(trigger, name, value)
    trigger.save()
    return trigger


def trigger_delete(*, trigger: Trigger) -> None:
    trigger.delete()


def sent_last_week(trigger: Trigger, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Delivery.objects.filter(trigger=trigger, status=S.SENT, sent_at__gt=now - timedelta(days=7)).count()


def trigger_as_dict(trigger: Trigger) -> dict:
    return {"code": trigger.code, "name": trigger.name, "event": trigger.event, **trigger.params, "channels": trigger.channels,
            "subject": trigger.subject, "text": trigger.text, "offer": trigger.offer, "active": trigger.active,
            "sent_last_week": sent_last_week(trigger)}


# ---- occasions -----------------------------------------------------------------------------------------------

def _receipts():
    from loyalty.models import Receipt

    return Receipt.objects


def _birthday_q(today: date, days_before: int, field: str = "birthday") -> tuple[Q, dict]:
    """Birthdays (in `field`) from today to today + days_before; {(month, day): year of that birthday}."""
    q = Q(pk__in=[])
    years: dict = {}
    for offset in range(days_before + 1):
        day = today + timedelta(days=offset)
        years[(day.month, day.day)] = day.year
        q |= Q(**{f"{field}__month": day.month, f"{field}__day": day.day})
        if day.month == 2 and day.day == 28 and not _leap(day.year):
            years[(2, 29)] = day.year
            q |= Q(**{f"{field}__month": 2, f"{field}__day": 29})
    return q, years


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def occasions(*, trigger: Trigger, now: datetime) -> list[tuple]:
    """(customer id, occasion key) for every customer the trigger fires for as of `now`: one query."""
    merchant = trigger.merchant
    customers = Customer.objects.filter(merchant=merchant)
    recent = now - timedelta(days=RECENT_DAYS)
    params = trigger.params or {}
    if trigger.event == "welcome":
        return [(pk, "welcome") for pk in customers.filter(created_at__gt=recent, created_at__lte=now).values_list("pk", flat=True)]
    if trigger.event == "first_purchase":
        first = (customers.annotate(first=Min("receipts__purchased_at")).filter(first__gt=recent, first__lte=now)
                 .values_list("pk", flat=True))
        return [(pk, "first_purchase") for pk in first]
    if trigger.event == "birthday":
        today = now.astimezone(ZoneInfo(merchant.timezone)).date()
        q, years = _birthday_q(today, params.get("days_before", 0))
        rows = customers.filter(birthday__isnull=False).filter(q).values_list("pk", "birthday")
        found = [(pk, f"birthday:{years.get((born.month, born.day), today.year)}") for pk, born in rows]
        if params.get("family"):
            family_q, _years = _birthday_q(today, params.get("days_before", 0), field="date")
            records = FamilyBirthday.objects.filter(merchant=merchant).filter(family_q).values_list("pk", "customer_id", "date")
            found += [(customer_id, f"family-birthday:{pk}:{years.get((born.month, born.day), today.year)}")
                      for pk, customer_id, born in records]
        return found
    if trigger.event == "winback":
        cutoff = now - timedelta(days=params["days"])
        rows = (customers.filter(created_at__lte=now).annotate(last=Coalesce(Max("receipts__purchased_at", filter=Q(receipts__purchased_at__lte=now)),
                                                                             "created_at"))
                .filter(last__lte=cutoff).values_list("pk", "last"))
        return [(pk, f"winback:{last.date().isoformat()}") for pk, last in rows]
    if trigger.event == "tier_reached":
        from loyalty.models import PointsAccount

        rows = (PointsAccount.objects.filter(merchant=merchant, tier__code=params["tier"], tier_since__gt=recent, tier_since__lte=now)
                .values_list("customer_id", "tier_since"))
        return [(pk, f"tier:{params['tier']}:{since.date().isoformat()}") for pk, since in rows]
    if trigger.event == "category_purchase":
        from loyalty.models import ReceiptLine

        until = now - timedelta(days=params.get("delay_days", 0))
        lines = ReceiptLine.objects.filter(receipt=OuterRef("pk"), category=params["category"])
        rows = (_receipts().filter(merchant=merchant, customer__isnull=False, purchased_at__gt=until - timedelta(days=RECENT_DAYS),
                                   purchased_at__lte=until, fully_refunded=False).filter(Exists(lines))
                .values_list("customer_id", "pk"))
        return [(customer_id, f"receipt:{receipt_id}") for customer_id, receipt_id in rows]
    return []


def trigger_run(*, trigger: Trigger, now: datetime) -> dict:
    """Write the new occasions' rows (a repeat writes nothing) and send whatever is pending."""
    found = occasions(trigger=trigger, now=now)
    if found:
        Delivery.objects.bulk_create([
            Delivery(merchant_id=trigger.merchant_id, customer_id=customer_id, trigger=trigger, occasion=key, marketing=False,
                     created_at=now) for customer_id, key in found], ignore_conflicts=True, batch_size=1000)
    content = delivery.Content(subject=trigger.subject, text=trigger.text, channels=trigger.channels,
                               offer=offer_resolve(merchant=trigger.merchant, offer=trigger.offer), marketing=False,
                               reason=_("an automatic message: %(name)s") % {"name": trigger.name})
    return delivery.run(merchant=trigger.merchant, base=Delivery.objects.filter(trigger=trigger), content=content, now=now)


def triggers_run(*, now: datetime, merchant: Merchant | None = None) -> int:
    """The scheduled job (`run_triggers --now`): every active trigger once. Returns messages sent."""
    triggers = Trigger.objects.filter(active=True).select_related("merchant").order_by("pk")
    if merchant is not None:
        triggers = triggers.filter(merchant=merchant)
    return sum(trigger_run(trigger=trigger, now=now)["sent"] for trigger in triggers)

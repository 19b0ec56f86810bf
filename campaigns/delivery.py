"""Sending what Delivery rows stand for, exactly once per row, in batches: campaigns, triggers and product requests.

Every message has a Delivery row before it is sent (a unique constraint stops a second one). A batch is
*claimed* (pending -> sending, committed, FOR UPDATE SKIP LOCKED on PostgreSQL so two workers never take the
same rows), sent, then *confirmed* in one transaction that also puts portal messages in the inbox and grants
the offers, set-based, to exactly those who were messaged. A worker killed mid-batch leaves its rows
`sending`: once their claim is older than CAMPAIGN_CLAIM_LEASE seconds the next run marks them `failed`
("interrupted") instead of sending them again, so nobody gets a message twice. Inbox (push) messages are
written in the confirming transaction itself, so for them a kill can never lose or double anything.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import formats, timezone, translation

from accounts.models import Merchant
from campaigns import channels as ch
from campaigns.models import Delivery, PushSubscription

S = Delivery.Status
PLACEHOLDER = re.compile(r"\{(name|balance|code|offer_ends)\}")


@dataclass
class Content:
    """What every row of one run receives: message, channels, offer (as offers.offer_validate cleaned it)."""

    subject: str
    text: str
    channels: list[str]
    offer: dict | None = None
    marketing: bool = True
    reason: str = ""
    stats: dict = field(default_factory=dict)


def render(text: str, *, name: str, balance: int | str, code: str, offer_ends: str) -> str:
    """Fill {name} {balance} {code} {offer_ends}; any other brace stays as written."""
    values = {"name": name, "balance": str(balance), "code": code, "offer_ends": offer_ends}
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)


def offer_ends_text(*, offer: dict | None, merchant: Merchant, now: datetime, language: str) -> str:
    days = None
    if offer:
        days = offer.get("ttl_days") if "points" in offer else offer.get("days")
    if not days:
        return ""
    moment = (now + timedelta(days=days)).astimezone(ZoneInfo(merchant.timezone))
    with translation.override(language):
        return formats.date_format(moment.date(), "SHORT_DATE_FORMAT")


def balances(*, merchant_id: int, customer_ids, now: datetime) -> dict[str, int]:
    """Available points of each customer, one query (active lots with points left, not past expiry)."""
    from loyalty.models import Lot

    rows = (Lot.objects.filter(merchant_id=merchant_id, customer_id__in=customer_ids, remaining__gt=0, is_pending=False)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now)).values("customer_id").annotate(total=Sum("remaining")))
    return {str(row["customer_id"]): row["total"] for row in rows}


def capped(*, merchant: Merchant, customer_ids, now: datetime) -> set[str]:
    """Customers who already got `max_marketing_per_week` marketing messages in the last 7 days (one query)."""
    from loyalty.selectors import program_get

    cap = getattr(program_get(merchant=merchant), "max_marketing_per_week", None)
    if cap is None:
        return set()
    rows = (Delivery.objects.filter(merchant_id=merchant.pk, customer_id__in=customer_ids, marketing=True, status=S.SENT,
                                    sent_at__gt=now - timedelta(days=7), sent_at__lte=now)
            .values("customer_id").annotate(n=Count("id")).filter(n__gte=cap))
    return {str(row["customer_id"]) for row in rows}


def lease_seconds() -> int:
    return int(getattr(settings, "CAMPAIGN_CLAIM_LEASE", 600))


def stale_release(*, base, now: datetime) -> int:
    """Rows a dead worker claimed and never confirmed: failed, never sent again."""
    return base.filter(status=S.SENDING, claimed_at__lt=now - timedelta(seconds=lease_seconds())).update(
        status=S.FAILED, error="interrupted: the worker stopped before confirming this message; not sent again")


def claim(*, base, now: datetime, size: int) -> list[int]:
    with transaction.atomic():
        due = base.filter(status=S.PENDING).filter(Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by("pk")
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:size])
        if ids:
            Delivery.objects.filter(pk__in=ids, status=S.PENDING).update(status=S.SENDING, claimed_at=timezone.now())
    return ids


def batch_send(*, merchant: Merchant, ids: list[int], content: Content, now: datetime, send_now: datetime | None = None) -> dict:
    """Send the claimed rows `ids`; confirm them with their offers in one transaction. Returns counts by outcome."""
    from loyalty.services.customers import customer_messages_create_many

    rows = list(Delivery.objects.filter(pk__in=ids, status=S.SENDING).select_related("customer"))
    customer_ids = [str(row.customer_id) for row in rows]
    over_cap = capped(merchant=merchant, customer_ids=customer_ids, now=now) if content.marketing else set()
    quiet = ch.is_quiet(merchant=merchant, now=now)
    plan: dict[str, list[Delivery]] = {"email": [], "sms": [], "push": []}
    skipped, capped_rows, deferred = [], [], []
    for row in rows:
        row.customer.merchant = merchant
        channel = ch.channel_choose(row.customer, content.channels)
        if channel is None:
            skipped.append(row.pk)
        elif str(row.customer_id) in over_cap:
            capped_rows.append(row.pk)
        elif channel in ("sms", "push") and quiet:
            deferred.append(row.pk)
        else:
            row.channel = channel
            plan[channel].append(row)
    planned = [row for rows_ in plan.values() for row in rows_]
    codes: dict[str, str] = {}
    offer = content.offer
    if offer and offer.get("codes") is not None and planned:
        from promotions.services import codes_issue_personal

        with transaction.atomic():
            codes = codes_issue_personal(promotion=offer["codes"], customer_ids=[row.customer_id for row in planned])
            for row in planned:
                row.code = codes.get(str(row.customer_id), "")
            Delivery.objects.bulk_update(planned, ["code"], batch_size=1000)
    points = balances(merchant_id=merchant.pk, customer_ids=[row.customer_id for row in planned], now=now) if "{balance}" in content.text else {}
    bonus = offer.get("points", 0) if offer and "points" in offer else 0
    ends: dict[str, str] = {}

    def text_for(row) -> tuple[str, str]:
        customer = row.customer
        language = customer.language or merchant.language
        if language not in ends:
            ends[language] = offer_ends_text(offer=offer, merchant=merchant, now=now, language=language)
        values = {"name": customer.name or "", "balance": points.get(str(customer.pk), 0) + bonus, "code": row.code,
                  "offer_ends": ends[language]}
        return render(content.subject, **values), render(content.text, **values)

    sent: dict[str, list[int]] = {"email": [], "sms": [], "push": []}
    failed: dict[str, list[int]] = {}
    if plan["email"]:
        with get_connection() as mail:
            for row in plan["email"]:
                subject, body = text_for(row)
                try:
                    ch.email_build(customer=row.customer, subject=subject or merchant.name, text=body, reason=content.reason,
                                   connection=mail).send()
                    sent["email"].append(row.pk)
                except Exception as exc:  # noqa: BLE001 (a refused address is recorded, the run goes on)
                    failed.setdefault(f"email: {exc}"[:300], []).append(row.pk)
    for row in plan["sms"]:
        subject, body = text_for(row)
        try:
            ch.sms_deliver(phone=row.customer.phone, text=body)
            sent["sms"].append(row.pk)
        except Exception as exc:  # noqa: BLE001
            failed.setdefault(f"sms: {exc}"[:300], []).append(row.pk)
    inbox = []
    for row in plan["push"]:
        subject, body = text_for(row)
        inbox.append((row.customer_id, subject or merchant.name, body))
        sent["push"].append(row.pk)
    delivered = set(sent["email"]) | set(sent["sms"]) | set(sent["push"])
    delivered_customers = [row.customer_id for rows_ in plan.values() for row in rows_ if row.pk in delivered]
    moment = send_now or now
    with transaction.atomic():
        if inbox:
            customer_messages_create_many(merchant_id=merchant.pk, messages=inbox, at=moment)
        for channel, pks in sent.items():
            if pks:
                Delivery.objects.filter(pk__in=pks).update(status=S.SENT, channel=channel, sent_at=moment, error="")
        for error, pks in failed.items():
            Delivery.objects.filter(pk__in=pks).update(status=S.FAILED, error=error)
        if skipped:
            Delivery.objects.filter(pk__in=skipped).update(status=S.SKIPPED, error="no channel with consent and a contact")
        if capped_rows:
            Delivery.objects.filter(pk__in=capped_rows).update(status=S.SKIPPED, error="weekly cap on marketing messages reached")
        if deferred:
            Delivery.objects.filter(pk__in=deferred).update(status=S.PENDING, claimed_at=None,
                                                            not_before=ch.quiet_ends(merchant=merchant, now=now))
        if offer and delivered_customers:
            offers_grant(merchant=merchant, offer=offer, customer_ids=delivered_customers, now=moment)
    if sent["push"] and not quiet and ch.webpush_configured():
        pushed = [row for row in plan["push"]]
        subs = PushSubscription.objects.filter(merchant_id=merchant.pk, customer_id__in=[row.customer_id for row in pushed])
        by_customer: dict = {}
        for sub in subs:
            by_customer.setdefault(sub.customer_id, []).append(sub)
        for row in pushed:
            if row.customer_id in by_customer:
                subject, body = text_for(row)
                ch.webpush_send(subscriptions=by_customer[row.customer_id], title=subject or merchant.name, body=body)
    return {"sent": sum(len(v) for v in sent.values()), "failed": sum(len(v) for v in failed.values()),
            "skipped": len(skipped) + len(capped_rows), "deferred": len(deferred)}


def offers_grant(*, merchant: Merchant, offer: dict, customer_ids: list, now: datetime) -> None:
    """The offer of a message, to exactly `customer_ids` (those just messaged), set-based. Inside the confirming transaction."""
    from accounts.models import Customer
    from loyalty.models import EntryKind
    from loyalty.services.ledger import points_credit_bulk
    from promotions.services import gifts_grant_many, offers_grant_many

    if "points" in offer:
        points_credit_bulk(merchant=merchant, customers=Customer.objects.filter(merchant=merchant, pk__in=customer_ids), kind=EntryKind.BONUS,
                           points=offer["points"], ttl_days=offer.get("ttl_days"), at=now,
                           description=(offer.get("reason") or "Campaign offer")[:300])
    elif offer.get("promotion") is not None:
        offers_grant_many(merchant_id=merchant.pk, customer_ids=customer_ids, promotion=offer["promotion"], days=offer.get("days"),
                          uses=offer.get("uses"), now=now)
    elif offer.get("gift") is not None:
        gifts_grant_many(merchant_id=merchant.pk, customer_ids=customer_ids, gift=offer["gift"])


def run(*, merchant: Merchant, base, content: Content, now: datetime | None = None, batch_size: int | None = None,
        pause: float | None = None) -> dict:
    """Claim and send every due pending row of `base` (a Delivery queryset) in batches. Safe to run twice, in parallel."""
    import time as _time

    now = now or timezone.now()
    size = batch_size or int(getattr(settings, "CAMPAIGN_SEND_BATCH", 500))
    pause = float(getattr(settings, "CAMPAIGN_SEND_PAUSE", 0)) if pause is None else pause
    totals = {"sent": 0, "failed": 0, "skipped": 0, "deferred": 0}
    stale_release(base=base, now=timezone.now())
    while True:
        ids = claim(base=base, now=now, size=size)
        if not ids:
            return totals
        for key, value in batch_send(merchant=merchant, ids=ids, content=content, now=now).items():
            totals[key] += value
        if pause:
            _time.sleep(pause)

"""Webhooks: endpoints, the outbox written with each change, and the delivery job.

Every app tells the merchant's systems about a change by calling `event_emit(merchant=, name=,
payload=)` inside the transaction of the change. Whether anything is written is decided from a
per-merchant cache of the subscribed event names (Django's cache, cleared on every endpoint change),
so a merchant without webhooks pays no SQL on the commit path and one with them one INSERT. The
outbox row commits or rolls back with the change; after the commit a django-q2 task (and the
`deliver_webhooks` sweeper every minute) fans it out to a delivery per endpoint and POSTs it:

    POST <url>
    Content-Type: application/json
    X-Loyalty-Event: receipt.committed
    X-Loyalty-Delivery: <delivery uuid>
    X-Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

A 2xx answer delivers it; anything else is retried after 30 s, 1 min, 2 min, ... (doubling) until a
day has passed since the event, then the delivery is failed. Every attempt is logged with its code.

With the default per-process cache another process sees an endpoint change within
WEBHOOK_CACHE_SECONDS (60); a shared cache (Redis) makes it immediate.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.models import Merchant, User
from accounts.services import audit_record
from loyalty.models import WEBHOOK_EVENTS, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

TEST_EVENT = "webhook.test"
USER_AGENT = "loyalty-webhooks/1"
MAX_ENDPOINTS = 20


def _cache_key(merchant_id: int) -> str:
    return f"loyalty:webhook-events:{merchant_id}"


def _cache_seconds() -> int:
    return int(getattr(settings, "WEBHOOK_CACHE_SECONDS", 60))


def retry_base_seconds() -> int:
    return int(getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", 30))


def retry_window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "WEBHOOK_RETRY_FOR_SECONDS", 86400)))


def webhook_subscriptions(*, merchant_id: int) -> frozenset[str]:
    """The event names some active endpoint of the merchant subscribed to; cached per merchant."""
    key = _cache_key(merchant_id)
    found = cache.get(key)
    if found is None:
        names: set[str] = set()
        for events in WebhookEndpoint.objects.filter(merchant_id=merchant_id, active=True).values_list("events", flat=True):
            names.update(events or ())
        found = frozenset(names)
        cache.set(key, found, _cache_seconds())
    return found


def webhook_cache_clear(*, merchant_id: int) -> None:
    """Forget the merchant's subscriptions now and again after the commit (a concurrent reader may
    have cached the old set in between)."""
    key = _cache_key(merchant_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def _dispatch_enqueue(event_ids: list[int] | None) -> None:
    from django_q.tasks import async_task

    async_task("loyalty.jobs.deliver_webhooks_job", event_ids)


def _dispatch_after_commit(event_ids: list[int] | None = None) -> None:
    """Queue the delivery of these events (None: of everything due) once the transaction commits.
    A queue that cannot be reached must not turn a committed change into an error: the sweeper
    delivers the events a minute later."""
    transaction.on_commit(lambda: _dispatch_enqueue(event_ids), robust=True)


def event_emit(*, merchant: Merchant | int, name: str, payload: dict | Callable[[], dict]) -> WebhookEvent | None:
    """Write an outbox row for `name` when some active endpoint of the merchant listens for it.

    Call inside the transaction of the change. `payload` may be a callable, built only when the row
    is written. No SQL at all when the merchant has no endpoint for it (from the cache).
    """
    merchant_id = merchant if isinstance(merchant, int) else merchant.pk
    if name not in webhook_subscriptions(merchant_id=merchant_id):
        return None
    data = payload() if callable(payload) else payload
    event = WebhookEvent.objects.create(merchant_id=merchant_id, name=name, payload=_plain(data), created_at=timezone.now())
    _dispatch_after_commit([event.pk])
    return event


def _plain(data: Any) -> Any:
    """JSON-safe (UUIDs, dates, Decimals as strings)."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _json_object(pairs: list[tuple[str, str]]) -> str:
    """An SQL expression building a JSON object from (key, SQL expression) pairs."""
    inner = ", ".join(f"'{key}', {expr}" for key, expr in pairs)
    if connection.vendor == "postgresql":
        return f"CAST(json_build_object({inner}) AS jsonb)"
    return f"json_object({inner})"


def uuid_text_sql(column: str) -> str:
    """A UUID column as its canonical text (SQLite stores 32 hex digits)."""
    if connection.vendor == "postgresql":
        return f"CAST({column} AS text)"
    return (f"(substr({column},1,8)||'-'||substr({column},9,4)||'-'||substr({column},13,4)||'-'"
            f"||substr({column},17,4)||'-'||substr({column},21,12))")


def events_emit_select(*, name: str, merchant_ids: list[int], pairs: list[tuple[str, str]], from_sql: str, params: list,
                       merchant_column: str) -> int:
    """Set-based emit: one outbox row per row of `from_sql` (which must select `merchant_column`), for
    the merchants among `merchant_ids` that listen for `name`. One INSERT … SELECT; none when nobody listens."""
    listening = [pk for pk in merchant_ids if name in webhook_subscriptions(merchant_id=pk)]
    if not listening:
        return 0
    marks = ", ".join(["%s"] * len(listening))
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO loyalty_webhookevent (merchant_id, name, payload, created_at) "
            f"SELECT {merchant_column}, %s, {_json_object(pairs)}, %s {from_sql} AND {merchant_column} IN ({marks})",
            [name, stamp, *params, *listening],
        )
        rows = cursor.rowcount
    if rows:
        _dispatch_after_commit()
    return rows


def points_expired_emit(*, now: datetime) -> int:
    """`points.expired` for the run of points_expire as of `now`: one event per customer (with the
    points that expired), written by one INSERT … SELECT in the job's transaction."""
    merchant_ids = sorted({pk for pk, events in WebhookEndpoint.objects.filter(active=True).values_list("merchant_id", "events")
                           if "points.expired" in (events or ())})
    if not merchant_ids:
        return 0
    stamp = connection.ops.adapt_datetimefield_value(now)
    return events_emit_select(
        name="points.expired", merchant_ids=merchant_ids, merchant_column="x.merchant_id",
        pairs=[("customer", uuid_text_sql("x.customer_id")), ("phone", "x.phone"), ("points", "x.points"), ("at", "%s")],
        from_sql="FROM (SELECT l.merchant_id, l.customer_id, c.phone, SUM(l.expired_points) AS points "
                 "FROM loyalty_lot l JOIN accounts_customer c ON c.id = l.customer_id "
                 "WHERE l.expired_at = %s AND l.expired_points > 0 GROUP BY l.merchant_id, l.customer_id, c.phone) x WHERE 1 = 1",
        params=[now.isoformat(), stamp],
    )


def tier_changes_emit(*, merchant: Merchant, at: datetime, reasons: list[str]) -> int:
    """`tier.changed` for the changes a set-based tier run wrote at `at`: one INSERT … SELECT."""
    if "tier.changed" not in webhook_subscriptions(merchant_id=merchant.pk):
        return 0
    stamp = connection.ops.adapt_datetimefield_value(at)
    marks = ", ".join(["%s"] * len(reasons))
    return events_emit_select(
        name="tier.changed", merchant_ids=[merchant.pk], merchant_column="tc.merchant_id",
        pairs=[("customer", uuid_text_sql("tc.customer_id")), ("from", "ft.code"), ("to", "tt.code"),
               ("from_name", "tc.from_name"), ("to_name", "tc.to_name"), ("reason", "tc.reason"), ("at", "%s")],
        from_sql="FROM loyalty_tierchange tc LEFT JOIN loyalty_tier ft ON ft.id = tc.from_tier_id "
                 f"LEFT JOIN loyalty_tier tt ON tt.id = tc.to_tier_id WHERE tc.merchant_id = %s AND tc.at = %s AND tc.reason IN ({marks})",
        params=[at.isoformat(), merchant.pk, stamp, *reasons],
    )


# --- endpoints -----------------------------------------------------------------------------------

def webhook_url_clean(url) -> str:
    if not isinstance(url, str) or not url.strip():
        raise ValidationError({"url": [_("Enter the URL to send events to.")]})
    url = url.strip()
    parts = urlsplit(url) if len(url) <= 500 else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(ch.isspace() for ch in url):
        raise ValidationError({"url": [_("Enter an http:// or https:// URL of up to 500 characters.")]})
    return url


def webhook_events_clean(events) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(item, str) for item in events):
        raise ValidationError({"events": [_("Choose at least one event.")]})
    unknown = [item for item in events if item not in WEBHOOK_EVENTS]
    if unknown:
        raise ValidationError({"events": [_("Unknown event %(name)s; use %(known)s.") % {"name": unknown[0][:40], "known": ", ".join(WEBHOOK_EVENTS)}]})
    return [name for name in WEBHOOK_EVENTS if name in events]


def webhook_secret_generate() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


@transaction.atomic
def webhook_endpoint_create(*, merchant: Merchant, url, events, secret=None, actor: User | None = None) -> WebhookEndpoint:
    """Add an endpoint; `secret` is generated when not given. The caller shows it once.

    Raises:
        ValidationError: a URL that is not http(s), no or unknown events, a short secret, too many endpoints.
    """
    errors = {}
    clean = {}
    for field, cleaner, value in (("url", webhook_url_clean, url), ("events", webhook_events_clean, events)):
        try:
            clean[field] = cleaner(value)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if secret in (None, ""):
        secret = webhook_secret_generate()
    elif not isinstance(secret, str) or not 16 <= len(secret) <= 100 or any(ch.isspace() for ch in secret):
        errors["secret"] = [_("A secret is 16 to 100 characters without spaces; leave it out to get one generated.")]
    if not errors and WebhookEndpoint.objects.filter(merchant=merchant).count() >= MAX_ENDPOINTS:
        errors["url"] = [_("A merchant can have up to %(count)s endpoints.") % {"count": MAX_ENDPOINTS}]
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint.objects.create(merchant=merchant, url=clean["url"], events=clean["events"], secret=secret, created_by=actor)
    audit_record(merchant=merchant, actor=actor, action="webhook.created", target=endpoint.url, data={"events": endpoint.events})
    webhook_cache_clear(merchant_id=merchant.pk)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: User | None = None) -> None:
    merchant_id = endpoint.merchant_id
    audit_record(merchant=endpoint.merchant, actor=actor, action="webhook.deleted", target=endpoint.url)
    endpoint.delete()
    webhook_cache_clear(merchant_id=merchant_id)


# --- delivery --------------------------------------------------------------------------------------

def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def signature_verify(*, secret: str, body: bytes, header: str, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does: check the HMAC and that the timestamp is recent."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def delivery_body(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    return json.dumps(
        {"id": str(delivery.pk), "event": event.name, "created_at": event.created_at.isoformat(), "data": event.payload},
        separators=(",", ":"), ensure_ascii=False,
    ).encode()


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    timeout = float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (http(s) only, checked on save)
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, str(getattr(exc, "reason", exc))[:300]


def delivery_attempt(*, delivery: WebhookDelivery, now: datetime | None = None) -> WebhookAttempt:
    """POST the delivery once, log the attempt, and schedule the next one or close it."""
    now = now or timezone.now()
    endpoint = delivery.endpoint
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Loyalty-Event": delivery.event.name,
        "X-Loyalty-Delivery": str(delivery.pk),
        "X-Loyalty-Signature": signature_header(secret=endpoint.secret, body=body, timestamp=int(time.time())),
    }
    started = time.monotonic()
    code, error = _post(endpoint.url, body, headers)
    attempt = WebhookAttempt.objects.create(
        delivery=delivery, at=now, status_code=code, error=error, duration_ms=int((time.monotonic() - started) * 1000),
    )
    delivery.attempts += 1
    delivery.last_status_code = code
    delivery.last_error = error
    if code is not None and 200 <= code < 300:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    else:
        retry_at = now + timedelta(seconds=retry_base_seconds() * 2 ** (delivery.attempts - 1))
        if retry_at > delivery.created_at + retry_window():
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = retry_at
    delivery.save(update_fields=["attempts", "last_status_code", "last_error", "status", "delivered_at", "next_attempt_at"])
    return attempt


def events_fan_out(*, now: datetime, limit: int = 1000, event_ids: list[int] | None = None) -> int:
    """Turn undispatched outbox rows (of `event_ids`, or any) into one delivery per active subscribed endpoint."""
    with transaction.atomic():
        events = WebhookEvent.objects.filter(dispatched_at__isnull=True).order_by("id")
        if event_ids is not None:
            events = events.filter(pk__in=event_ids)
        if connection.vendor == "postgresql":
            events = events.select_for_update(skip_locked=True)
        events = list(events[:limit])
        if not events:
            return 0
        endpoints: dict[int, list[WebhookEndpoint]] = {}
        for endpoint in WebhookEndpoint.objects.filter(merchant_id__in={event.merchant_id for event in events}, active=True):
            endpoints.setdefault(endpoint.merchant_id, []).append(endpoint)
        deliveries = [
            WebhookDelivery(merchant_id=event.merchant_id, endpoint=endpoint, event=event, created_at=event.created_at, next_attempt_at=now)
            for event in events
            for endpoint in endpoints.get(event.merchant_id, ())
            if event.name in (endpoint.events or ())
        ]
        WebhookDelivery.objects.bulk_create(deliveries, batch_size=1000)
        WebhookEvent.objects.filter(pk__in=[event.pk for event in events]).update(dispatched_at=now)
    return len(deliveries)


def webhooks_deliver(*, now: datetime | None = None, limit: int = 200, event_ids: list[int] | None = None) -> int:
    """The delivery job: fan out the outbox, then POST every delivery that is due. Returns attempts made.

    With `event_ids` (the task a commit queues) only those events are fanned out and sent; the
    sweeper (no ids, every minute) takes everything else that is due, retries included.
    """
    now = now or timezone.now()
    if event_ids is not None:
        events_fan_out(now=now, event_ids=event_ids)
    else:
        while events_fan_out(now=now):
            pass
    attempts = 0
    while attempts < limit:
        with transaction.atomic():
            due = (WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now)
                   .select_related("endpoint", "event").order_by("next_attempt_at", "pk"))
            if event_ids is not None:
                due = due.filter(event_id__in=event_ids, attempts=0)
            if connection.vendor == "postgresql":
                due = due.select_for_update(skip_locked=True, of=("self",))
            delivery = due.first()
            if delivery is None:
                break
            delivery_attempt(delivery=delivery, now=now)
            attempts += 1
    return attempts


@transaction.atomic
def webhook_test_send(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a `webhook.test` event to one endpoint now (the office's button); retried like any other."""
    now = timezone.now()
    event = WebhookEvent.objects.create(
        merchant_id=endpoint.merchant_id, name=TEST_EVENT, created_at=now, dispatched_at=now,
        payload={"message": "This is a test event.", "endpoint": endpoint.pk},
    )
    delivery = WebhookDelivery.objects.create(merchant_id=endpoint.merchant_id, endpoint=endpoint, event=event, created_at=now,
                                              next_attempt_at=now)
    delivery_attempt(delivery=delivery, now=now)
    return delivery


# --- payloads (built only when someone listens) ----------------------------------------------------

def customer_payload(customer) -> dict:
    return {"customer": str(customer.pk), "phone": customer.phone, "name": customer.name, "email": customer.email,
            "card_number": customer.card_number, "created_at": customer.created_at.isoformat()}


def receipt_payload(receipt) -> dict:
    return {
        "receipt": str(receipt.pk), "number": receipt.number, "store": receipt.store.code,
        "customer": str(receipt.customer_id) if receipt.customer_id else None,
        "purchased_at": receipt.purchased_at.isoformat(), "subtotal": str(receipt.subtotal), "discount": str(receipt.discount),
        "redeemed_points": receipt.redeemed_points, "redeemed_amount": str(receipt.redeemed_amount), "total": str(receipt.total),
        "accrued_points": receipt.accrued_points,
    }


def refund_payload(refund) -> dict:
    receipt = refund.receipt
    return {
        "refund": str(refund.pk), "receipt": str(receipt.pk), "number": receipt.number,
        "customer": str(receipt.customer_id) if receipt.customer_id else None, "at": refund.at.isoformat(),
        "refunded_amount": str(refund.refunded_amount), "points_reversed": refund.points_reversed,
        "points_returned": refund.points_returned, "fully_refunded": receipt.fully_refunded,
    }


def tier_change_payload(change) -> dict:
    return {
        "customer": str(change.customer_id), "from": change.from_tier.code if change.from_tier else None,
        "to": change.to_tier.code if change.to_tier else None, "from_name": change.from_name, "to_name": change.to_name,
        "reason": change.reason, "at": change.at.isoformat(),
    }

"""The three channels a message goes out by, and the rules every message obeys.

- email: Django's mail backend (any provider through django-anymail), with a one-click unsubscribe link
  (signed per merchant, customer and channel: it cannot be forged or reused for someone else), the
  `List-Unsubscribe` / `List-Unsubscribe-Post` headers and a footer saying why the customer gets it;
- sms: `accounts.sms` (`SMS_BACKEND`); `HttpSmsBackend` here is a real gateway adapter (JSON over HTTPS);
- push: a message in the portal inbox (loyalty's CustomerMessage), and a Web Push (pywebpush, VAPID keys from
  settings) to each browser the customer allowed in the portal.

Consent is per channel (the customer's consent_email / consent_sms / consent_push); SMS and Web Push wait out
quiet hours (21:00-09:00 in the merchant's timezone).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Customer, Merchant

QUIET_FROM = time(21, 0)
QUIET_TO = time(9, 0)
UNSUBSCRIBE_SALT = "campaigns.unsubscribe"
CONSENT_FIELD = {"email": "consent_email", "sms": "consent_sms", "push": "consent_push"}


# ---- consent and quiet hours -------------------------------------------------------------------------------

def can_receive(customer: Customer, channel: str) -> bool:
    """The customer consented to `channel` and has the contact it needs."""
    if not getattr(customer, CONSENT_FIELD[channel]):
        return False
    if channel == "email":
        return bool(customer.email)
    if channel == "sms":
        return bool(customer.phone) and sms_available()
    return True


def channel_choose(customer: Customer, channels: list[str]) -> str | None:
    """The first of `channels` the customer consented to and can receive; None when none."""
    for channel in channels:
        if channel in CONSENT_FIELD and can_receive(customer, channel):
            return channel
    return None


def is_quiet(*, merchant: Merchant, now: datetime) -> bool:
    """21:00-09:00 in the merchant's timezone: no SMS and no Web Push then."""
    local = now.astimezone(ZoneInfo(merchant.timezone)).time()
    return local >= QUIET_FROM or local < QUIET_TO


def quiet_ends(*, merchant: Merchant, now: datetime) -> datetime:
    """The next 09:00 in the merchant's timezone (now, when it is not quiet)."""
    if not is_quiet(merchant=merchant, now=now):
        return now
    zone = ZoneInfo(merchant.timezone)
    local = now.astimezone(zone)
    day = local.date() if local.time() < QUIET_TO else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_TO, tzinfo=zone)


# ---- unsubscribe ---------------------------------------------------------------------------------------------

def unsubscribe_token(*, customer: Customer, channel: str = "email") -> str:
    """A signed token naming the merchant, the customer and the channel; changing any byte breaks it."""
    return signing.dumps({"m": customer.merchant_id, "c": str(customer.pk), "ch": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str, *, merchant: Merchant) -> tuple[str, str] | None:
    """(customer id, channel) of a valid token for this merchant, else None."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("m") != merchant.pk or data.get("ch") not in CONSENT_FIELD:
        return None
    return str(data.get("c")), data["ch"]


def unsubscribe_url(*, customer: Customer, channel: str = "email") -> str:
    path = reverse("messaging_portal:unsubscribe", kwargs={"merchant_slug": customer.merchant.slug,
                                                           "token": unsubscribe_token(customer=customer, channel=channel)})
    return settings.SITE_URL.rstrip("/") + path if getattr(settings, "SITE_URL", "") else path


# ---- email ---------------------------------------------------------------------------------------------------

def email_build(*, customer: Customer, subject: str, text: str, reason: str, connection=None) -> EmailMessage:
    """One email with the unsubscribe link in the footer and in the List-Unsubscribe headers (RFC 8058 one-click)."""
    link = unsubscribe_url(customer=customer, channel="email")
    with translation.override(customer.language or customer.merchant.language):
        footer = _("You receive this because you are a member of %(program)s and agreed to news by email (%(reason)s). "
                   "Unsubscribe with one click: %(link)s") % {"program": customer.merchant.name, "reason": reason, "link": link}
    body = f"{text}\n\n--\n{footer}\n"
    return EmailMessage(subject=subject, body=body, to=[customer.email], connection=connection,
                        headers={"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})


# ---- SMS -----------------------------------------------------------------------------------------------------

def sms_available() -> bool:
    from accounts.sms import sms_enabled

    return sms_enabled()


def sms_deliver(*, phone: str, text: str) -> None:
    from accounts.sms import sms_send

    if not sms_send(phone=phone, text=text):
        raise ChannelError("No SMS backend is configured.")


class ChannelError(Exception):
    """The channel refused or failed a message; its text is recorded on the delivery."""


class HttpSmsBackend:
    """A JSON-over-HTTP SMS gateway: POST {base}/messages {"to", "text", "sender"} with a bearer token.

    Settings (or env): SMS_HTTP_URL (base URL), SMS_HTTP_TOKEN, SMS_HTTP_SENDER (optional), SMS_HTTP_TIMEOUT (seconds).
    Any answer other than 2xx raises ChannelError with the status.
    """

    def __init__(self):
        self.base = getattr(settings, "SMS_HTTP_URL", "").rstrip("/")
        self.token = getattr(settings, "SMS_HTTP_TOKEN", "")
        self.sender = getattr(settings, "SMS_HTTP_SENDER", "")
        self.timeout = float(getattr(settings, "SMS_HTTP_TIMEOUT", 10))
        if not self.base:
            raise ChannelError("SMS_HTTP_URL is not set.")

    def send(self, phone: str, text: str) -> None:
        payload = json.dumps({"to": phone, "text": text, "sender": self.sender}).encode()
        request = urllib.request.Request(f"{self.base}/messages", data=payload, method="POST", headers={
            "Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310 (configured https URL)
                if not 200 <= answer.status < 300:
                    raise ChannelError(f"SMS gateway answered {answer.status}")
        except urllib.error.HTTPError as exc:
            raise ChannelError(f"SMS gateway answered {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise ChannelError(f"SMS gateway unreachable: {exc}") from exc


# ---- push ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PushMessage:
    customer: Customer
    title: str
    body: str


def webpush_configured() -> bool:
    return bool(getattr(settings, "VAPID_PRIVATE_KEY", "") and getattr(settings, "VAPID_PUBLIC_KEY", ""))


def webpush_send(*, subscriptions, title: str, body: str) -> int:
    """Web Push to each subscription (pywebpush, VAPID from settings); returns how many were accepted.
    Gone subscriptions (404/410) are deleted."""
    if not webpush_configured():
        return 0
    from pywebpush import WebPushException, webpush

    accepted = 0
    for sub in subscriptions:
        try:
            webpush(subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                    data=json.dumps({"title": title, "body": body}), vapid_private_key=settings.VAPID_PRIVATE_KEY,
                    vapid_claims={"sub": getattr(settings, "VAPID_SUBJECT", "mailto:loyalty@localhost")}, timeout=10)
            accepted += 1
        except WebPushException as exc:
            status = getattr(getattr(exc, "response", None), "status_code", None)
            if status in (404, 410):
                sub.delete()
        except Exception:  # noqa: BLE001 (a browser push service being down never stops a send)
            continue
    return accepted


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()

"""Customer sign-in to the portal with a one-time code sent by email (and SMS when configured).

Codes are 6 digits, stored as a keyed hash, good for 10 minutes and 5 wrong guesses. Sending is
throttled per customer and per IP address, counted from the LoginCode rows themselves, so the
limit holds across processes without a shared cache.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, ValidationError
from accounts.models import Customer, LoginCode, Merchant
from accounts.phones import phone_normalize
from accounts.sms import sms_enabled, sms_send

CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
CODE_MAX_TRIES = 5
THROTTLE_WINDOW = timedelta(minutes=10)


def codes_per_customer() -> int:
    return int(getattr(settings, "PORTAL_CODES_PER_CUSTOMER", 3))


def codes_per_ip() -> int:
    # Higher than per customer: a shop's guest Wi-Fi or a family shares one address.
    return int(getattr(settings, "PORTAL_CODES_PER_IP", 10))


def code_hash(*, customer_id, code: str) -> str:
    message = f"{customer_id}:{code}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def customer_find_for_login(*, merchant: Merchant, identifier: str) -> Customer | None:
    """The merchant's customer with this email or phone (any format)."""
    text = (identifier or "").strip()
    if not text or len(text) > 254:
        return None
    if "@" in text:
        return Customer.objects.filter(merchant=merchant, email=text.lower()).order_by("created_at").first()
    phone = phone_normalize(raw=text, region=merchant.country)
    if phone is None:
        return None
    return Customer.objects.filter(merchant=merchant, phone=phone).first()


def _throttle_check(*, customer: Customer, ip: str | None, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    recent = LoginCode.objects.filter(merchant_id=customer.merchant_id, created_at__gt=since)
    if recent.filter(customer=customer).count() >= codes_per_customer():
        raise ApplicationError("too_many_codes", _("Too many codes were requested. Wait 10 minutes and try again."), status=429)
    if ip and recent.filter(ip=ip).count() >= codes_per_ip():
        raise ApplicationError("too_many_codes", _("Too many codes were requested from this network. Wait 10 minutes and try again."), status=429)


def login_code_send(*, customer: Customer, ip: str | None = None, now: datetime | None = None) -> LoginCode:
    """Issue a new code to the customer by email (and SMS when a backend is configured).

    Two simultaneous requests may both pass the throttle check; the limit is a brake on abuse,
    not an exact quota, so that race is accepted rather than serialised.

    Raises:
        ApplicationError: too_many_codes (throttled), no_channel (no email and no SMS backend).
    """
    now = now or timezone.now()
    merchant = customer.merchant
    if not customer.email and not sms_enabled():
        raise ApplicationError("no_channel", _("There is no email address on this account. Ask at the counter to add one."))
    _throttle_check(customer=customer, ip=ip, now=now)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    channels = [name for name, on in (("email", bool(customer.email)), ("sms", sms_enabled())) if on]
    with transaction.atomic():
        LoginCode.objects.filter(merchant=merchant, customer=customer, used_at__isnull=True).update(used_at=now)
        row = LoginCode.objects.create(
            merchant=merchant, customer=customer, code_hash=code_hash(customer_id=customer.pk, code=code),
            created_at=now, expires_at=now + CODE_TTL, ip=ip or None, channels=",".join(channels),
        )
    # Sent after the row is committed, so the code always exists when it arrives.
    with translation.override(customer.language or merchant.language):
        minutes = int(CODE_TTL.total_seconds() // 60)
        text = translation.ngettext(
            "Your %(merchant)s sign-in code is %(code)s. It expires in %(minutes)d minute. If you did not ask for it, ignore this message.",
            "Your %(merchant)s sign-in code is %(code)s. It expires in %(minutes)d minutes. If you did not ask for it, ignore this message.",
            minutes,
        ) % {
            "merchant": merchant.name, "code": code, "minutes": minutes,
        }
        if customer.email:
            send_mail(
                subject=_("%(code)s is your %(merchant)s sign-in code") % {"code": code, "merchant": merchant.name},
                message=text,
                from_email=None,
                recipient_list=[customer.email],
            )
        if sms_enabled():
            sms_send(phone=customer.phone, text=text)
    return row


def login_code_request(*, merchant: Merchant, identifier: str, ip: str | None = None, now: datetime | None = None) -> Customer | None:
    """Send a code to the customer with this email or phone; None when nobody matches.

    Raises:
        ValidationError: nothing was typed.
        ApplicationError: too_many_codes, no_channel.
    """
    if not (identifier or "").strip():
        raise ValidationError({"identifier": [_("Enter your email or phone number.")]})
    customer = customer_find_for_login(merchant=merchant, identifier=identifier)
    if customer is None:
        return None
    login_code_send(customer=customer, ip=ip, now=now)
    return customer


def login_code_verify(*, merchant: Merchant, customer_id, code: str, now: datetime | None = None) -> Customer:
    """Check the customer's latest code and spend it.

    Raises:
        ValidationError: the code is not 6 digits.
        ApplicationError: code_expired (none outstanding, expired or used), code_locked (5 wrong
            tries), code_invalid (wrong; the message says how many tries are left).
    """
    now = now or timezone.now()
    code = "".join((code or "").split())
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise ValidationError({"code": [_("Enter the 6-digit code from the message.")]})
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(merchant=merchant, customer_id=customer_id, used_at__isnull=True)
            .select_related("customer")
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= now:
            raise ApplicationError("code_expired", _("This code has expired. Ask for a new one."))
        if row.attempts >= CODE_MAX_TRIES:
            raise ApplicationError("code_locked", _("Too many wrong codes. Ask for a new one."))
        if not hmac.compare_digest(row.code_hash, code_hash(customer_id=row.customer_id, code=code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = CODE_MAX_TRIES - row.attempts
            if left <= 0:
                # Committed with the atomic block's normal exit below, not rolled back by raising inside it.
                locked = True
            else:
                locked = False
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return row.customer
    if locked:
        raise ApplicationError("code_locked", _("Too many wrong codes. Ask for a new one."))
    raise ApplicationError(
        "code_invalid",
        translation.ngettext("Wrong code. %(n)d try left.", "Wrong code. %(n)d tries left.", left) % {"n": left},
    )


def email_taken(*, merchant: Merchant, email: str, exclude: Customer | None = None) -> bool:
    """Whether another customer of the merchant signs in with this email."""
    qs = Customer.objects.filter(merchant=merchant, email=(email or "").strip().lower())
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return bool(email) and qs.exists()


def customer_profile_update(*, customer: Customer, name: str, email: str, birthday, consent_email: bool, consent_sms: bool,
                            consent_push: bool, language: str) -> Customer:
    """The customer's own changes from the portal. The birthday can be set once (it earns a gift).

    Raises:
        ValidationError: email used by another customer, birthday already set and changed.
    """
    from accounts.services import customer_update

    errors = {}
    email = (email or "").strip().lower()
    if not email:
        errors["email"] = [_("Enter your email address; sign-in codes are sent there.")]
    elif email_taken(merchant=customer.merchant, email=email, exclude=customer):
        errors["email"] = [_("Another member already uses this email address.")]
    if customer.birthday is not None and birthday is not None and birthday != customer.birthday:
        errors["birthday"] = [_("The birthday can be set only once. Ask at the counter to correct it.")]
    if errors:
        raise ValidationError(errors)
    fields = {
        "name": (name or "").strip(),
        "email": email,
        "consent_email": consent_email,
        "consent_sms": consent_sms,
        "consent_push": consent_push,
        "language": language or "",
    }
    if customer.birthday is None and birthday is not None:
        fields["birthday"] = birthday
    return customer_update(customer=customer, **fields)

"""Customer sign-in to the portal, and joining it, with a one-time code.

Sign-in codes go by email (and SMS when configured); join codes go by SMS to the typed phone,
and the customer is created only when that code comes back, so joining proves the phone.
Codes are 6 digits, stored as a keyed hash, good for 10 minutes and 5 wrong guesses.

Whether or not anyone has the typed email or phone, a request leaves the same kind of row and
gets the same answer (a code nobody receives for a stranger), so the forms cannot be used to
learn who is a member. Sending is throttled per typed email or phone and per client address,
counted from the LoginCode rows themselves before anything is written, so the limit holds
across processes without a shared cache.
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
    """Codes per typed email or phone in the throttle window."""
    return int(getattr(settings, "PORTAL_CODES_PER_CUSTOMER", 3))


def codes_per_ip() -> int:
    # Higher than per customer: a shop's guest Wi-Fi or a family shares one address.
    return int(getattr(settings, "PORTAL_CODES_PER_IP", 10))


def portal_join_enabled() -> bool:
    """Joining in the portal needs an SMS backend to prove the phone; without one people join at the counter."""
    return sms_enabled()


def _keyed(message: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()


def code_hash(*, subject: str, code: str) -> str:
    return _keyed(f"code:{subject}:{code}")


def identifier_normalize(*, merchant: Merchant, identifier: str) -> str:
    """An email in lower case, a phone in E.164; anything else as typed (it matches nobody)."""
    text = (identifier or "").strip()
    if "@" in text:
        return text.lower()
    return phone_normalize(raw=text, region=merchant.country) or text.lower()


def subject_of(*, merchant: Merchant, identifier: str) -> str:
    """The keyed hash a request is filed and throttled under: no stranger's address is stored."""
    return _keyed(f"subject:{merchant.pk}:{identifier_normalize(merchant=merchant, identifier=identifier)}")


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


def _throttle_check(*, merchant: Merchant, subject: str, ip: str | None, now: datetime) -> None:
    since = now - THROTTLE_WINDOW
    recent = LoginCode.objects.filter(merchant=merchant, created_at__gt=since)
    if recent.filter(subject=subject).count() >= codes_per_customer():
        raise ApplicationError("too_many_codes", _("Too many codes were requested. Wait 10 minutes and try again."), status=429)
    if ip and recent.filter(ip=ip).count() >= codes_per_ip():
        raise ApplicationError("too_many_codes", _("Too many codes were requested from this network. Wait 10 minutes and try again."), status=429)


def _issue(*, merchant: Merchant, subject: str, ip: str | None, now: datetime, customer: Customer | None = None,
           purpose: str = LoginCode.Purpose.LOGIN, join_data: dict | None = None, channels: list[str] = ()) -> str:
    """Write a new code row (retiring the subject's older ones) and return the code."""
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_LENGTH))
    with transaction.atomic():
        LoginCode.objects.filter(merchant=merchant, subject=subject, used_at__isnull=True).update(used_at=now)
        LoginCode.objects.create(
            merchant=merchant, customer=customer, subject=subject, purpose=purpose, join_data=join_data,
            code_hash=code_hash(subject=subject, code=code), created_at=now, expires_at=now + CODE_TTL,
            ip=ip or None, channels=",".join(channels),
        )
    return code


def _minutes() -> int:
    return int(CODE_TTL.total_seconds() // 60)


def login_code_request(*, merchant: Merchant, identifier: str, ip: str | None = None, now: datetime | None = None) -> str:
    """Send a sign-in code to the member with this email or phone, if there is one.

    Returns the request's subject (what the code page verifies against). Nothing in the result
    or the errors depends on whether a member matched, or on how they can be reached.

    Raises:
        ValidationError: nothing was typed.
        ApplicationError: too_many_codes.
    """
    now = now or timezone.now()
    if not (identifier or "").strip():
        raise ValidationError({"identifier": [_("Enter your email or phone number.")]})
    subject = subject_of(merchant=merchant, identifier=identifier)
    _throttle_check(merchant=merchant, subject=subject, ip=ip, now=now)
    customer = customer_find_for_login(merchant=merchant, identifier=identifier)
    channels = []
    if customer is not None:
        channels = [name for name, on in (("email", bool(customer.email)), ("sms", sms_enabled())) if on]
    # A stranger gets a row too (with a code nobody receives), so the limits and the code page behave alike.
    code = _issue(merchant=merchant, subject=subject, ip=ip, now=now, customer=customer, channels=channels)
    if customer is not None:
        # Sent after the row is committed, so the code always exists when it arrives.
        with translation.override(customer.language or merchant.language):
            text = translation.ngettext(
                "Your %(merchant)s sign-in code is %(code)s. It expires in %(minutes)d minute. If you did not ask for it, ignore this message.",
                "Your %(merchant)s sign-in code is %(code)s. It expires in %(minutes)d minutes. If you did not ask for it, ignore this message.",
                _minutes(),
            ) % {
                "merchant": merchant.name, "code": code, "minutes": _minutes(),
            }
            if customer.email:
                send_mail(
                    subject=_("%(code)s is your %(merchant)s sign-in code") % {"code": code, "merchant": merchant.name},
                    message=text, from_email=None, recipient_list=[customer.email],
                )
            if sms_enabled():
                sms_send(phone=customer.phone, text=text)
    return subject


def join_code_request(*, merchant: Merchant, phone: str, profile: dict, language: str = "", ip: str | None = None,
                      now: datetime | None = None) -> str:
    """Send a code by SMS to the phone someone wants to join with; the customer is created when it comes back.

    `profile` holds the join form's name, email and consents. For a phone that already belongs to a
    member, the SMS says so and carries a sign-in code instead: the page answers the same either way.
    Returns the request's subject.

    Raises:
        ValidationError: the phone is not a valid number.
        ApplicationError: join_unavailable (no SMS backend), too_many_codes.
    """
    now = now or timezone.now()
    if not portal_join_enabled():
        raise ApplicationError("join_unavailable", _("Joining online is not available. Join at the counter."))
    e164 = phone_normalize(raw=phone, region=merchant.country)
    if e164 is None:
        raise ValidationError({"phone": [_("Enter a valid phone number.")]})
    subject = subject_of(merchant=merchant, identifier=e164)
    _throttle_check(merchant=merchant, subject=subject, ip=ip, now=now)
    member = Customer.objects.filter(merchant=merchant, phone=e164).first()
    if member is not None:
        code = _issue(merchant=merchant, subject=subject, ip=ip, now=now, customer=member, channels=["sms"])
        with translation.override(member.language or language or merchant.language):
            text = translation.ngettext(
                "You are already a member of %(merchant)s. Your sign-in code is %(code)s. It expires in %(minutes)d minute. If you did not ask for it, ignore this message.",
                "You are already a member of %(merchant)s. Your sign-in code is %(code)s. It expires in %(minutes)d minutes. If you did not ask for it, ignore this message.",
                _minutes(),
            ) % {
                "merchant": merchant.name, "code": code, "minutes": _minutes(),
            }
    else:
        join_data = {
            "phone": e164,
            "name": str(profile.get("name") or "").strip(),
            "email": str(profile.get("email") or "").strip().lower(),
            "consent_email": bool(profile.get("consent_email")),
            "consent_sms": bool(profile.get("consent_sms")),
            "language": language or "",
            # A friend's referral code and an invite link from the join address, checked again on joining.
            "referral_code": str(profile.get("referral_code") or "").strip()[:8],
            "invite": str(profile.get("invite") or "").strip()[:64],
        }
        code = _issue(merchant=merchant, subject=subject, ip=ip, now=now, purpose=LoginCode.Purpose.JOIN,
                      join_data=join_data, channels=["sms"])
        with translation.override(language or merchant.language):
            text = translation.ngettext(
                "Your code to join %(merchant)s is %(code)s. It expires in %(minutes)d minute. If you did not ask for it, ignore this message.",
                "Your code to join %(merchant)s is %(code)s. It expires in %(minutes)d minutes. If you did not ask for it, ignore this message.",
                _minutes(),
            ) % {
                "merchant": merchant.name, "code": code, "minutes": _minutes(),
            }
    sms_send(phone=e164, text=text)
    return subject


def login_code_verify(*, merchant: Merchant, subject: str, code: str, now: datetime | None = None) -> LoginCode:
    """Check the latest code requested under `subject` and spend it.

    Returns the spent row: its customer signs in, or (a join code) its join_data becomes one.
    A code for a stranger can never succeed; it fails exactly like a wrong code for a member.

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
            LoginCode.objects.select_for_update(of=("self",))
            .filter(merchant=merchant, subject=subject or "-", used_at__isnull=True)
            .select_related("customer")
            .order_by("-created_at")
            .first()
        )
        if row is None or row.expires_at <= now:
            raise ApplicationError("code_expired", _("This code has expired. Ask for a new one."))
        if row.attempts >= CODE_MAX_TRIES:
            raise ApplicationError("code_locked", _("Too many wrong codes. Ask for a new one."))
        usable = row.customer_id is not None or row.purpose == LoginCode.Purpose.JOIN
        if not usable or not hmac.compare_digest(row.code_hash, code_hash(subject=subject, code=code)):
            row.attempts += 1
            row.save(update_fields=["attempts"])
            left = CODE_MAX_TRIES - row.attempts
            # Committed with the atomic block's normal exit below, not rolled back by raising inside it.
            locked = left <= 0
        else:
            row.used_at = now
            row.save(update_fields=["used_at"])
            return row
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

"""Writes for merchants, stores, staff, customers and API keys."""
import datetime
import hashlib
import secrets
import zoneinfo

from django.conf import settings

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.errors import ApplicationError, Conflict, ValidationError
from accounts.models import ApiKey, ApiScope, AuditEvent, Customer, Gender, Membership, Merchant, Role, Store, User
from accounts.phones import phone_normalize
from accounts.search import customer_search_text

CARD_PREFIX = "27"  # every card number starts here; 13 digits with an EAN-13 check digit


def api_key_hash(*, key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def ean13_check_digit(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return str((10 - total % 10) % 10)


def card_number_generate() -> str:
    body = CARD_PREFIX + "".join(secrets.choice("0123456789") for _ in range(10))
    return body + ean13_check_digit(body)


def referral_code_generate(*, length: int = 6) -> str:
    # No leading zero, so a code survives being typed into a numeric field.
    return secrets.choice("123456789") + "".join(secrets.choice("0123456789") for _ in range(length - 1))


def audit_record(*, merchant: Merchant, actor: User | None, action: str, target: str = "", reason: str = "", data: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(merchant=merchant, actor=actor, action=action, target=target, reason=reason, data=data or {})


@transaction.atomic
def merchant_create(*, slug: str, name: str, currency: str = "RUB", timezone_name: str = "Europe/Moscow", language: str = "ru", country: str = "RU") -> Merchant:
    """Create a merchant with its default store `main`.

    Raises:
        ValidationError: an unknown timezone, currency, language or country.
        Conflict: merchant_exists.
    """
    errors = {}
    if timezone_name not in zoneinfo.available_timezones():
        errors["timezone"] = [f"Unknown timezone {timezone_name!r}."]
    if len(currency) != 3 or not currency.isalpha():
        errors["currency"] = ["Use a three-letter ISO 4217 code, such as RUB."]
    if language not in dict(settings.LANGUAGES):
        errors["language"] = ["Unsupported language."]
    if len(country) != 2 or not country.isalpha():
        errors["country"] = ["Use a two-letter country code, such as RU."]
    if errors:
        raise ValidationError(errors)
    if Merchant.objects.filter(slug=slug).exists():
        raise Conflict("merchant_exists", f"A merchant with slug {slug!r} already exists.")
    merchant = Merchant.objects.create(
        slug=slug, name=name, currency=currency.upper(), timezone=timezone_name, language=language, country=country.upper()
    )
    Store.objects.create(merchant=merchant, code="main", name=name)
    return merchant


def store_create(*, merchant: Merchant, code: str, name: str, address: str = "", actor: User | None = None) -> Store:
    if Store.objects.filter(merchant=merchant, code=code).exists():
        raise ValidationError({"code": [gettext("A store with this code already exists.")]})
    store = Store.objects.create(merchant=merchant, code=code, name=name, address=address)
    if actor is not None:
        audit_record(merchant=merchant, actor=actor, action="store.created", target=code, data={"name": name})
    return store


@transaction.atomic
def staff_add(*, merchant: Merchant, email: str, role: str, password: str | None = None, full_name: str = "", actor: User | None = None) -> Membership:
    """Give `email` a role at `merchant`, creating the user if needed; a deactivated person is restored.

    An active member is refused: their role changes only through `staff_role_set`, which keeps
    an owner from demoting themselves and a business from losing its last owner.

    Raises:
        ValidationError: an unknown role, or the person already works here.
    """
    if role not in Role.values:
        raise ValidationError({"role": [gettext("Unknown role.")]})
    email = email.strip().lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
    membership = Membership.objects.select_for_update().filter(merchant=merchant, user=user).first()
    if membership is not None and membership.is_active:
        raise ValidationError({"email": [gettext(
            "%(email)s already works here. To change what they can do, change their role in the list below."
        ) % {"email": email}]})
    if membership is None:
        membership = Membership.objects.create(merchant=merchant, user=user, role=role, is_active=True)
        audit_record(merchant=merchant, actor=actor, action="staff.added", target=email, data={"role": role})
    else:
        before = membership.role
        membership.role, membership.is_active = role, True
        membership.save(update_fields=["role", "is_active"])
        audit_record(merchant=merchant, actor=actor, action="staff.added", target=email, data={"before": before, "role": role, "restored": True})
    return membership


def customer_create(
    *,
    merchant: Merchant,
    phone: str,
    name: str = "",
    email: str = "",
    birthday=None,
    gender: str = "",
    referral_code: str = "",
    invite: str = "",
    store: Store | None = None,
    consent_email: bool = False,
    consent_sms: bool = False,
    language: str = "",
    created_at=None,
) -> Customer:
    """Register a customer. Call inside the caller's transaction (loyalty's join adds the welcome bonus).

    Raises:
        ValidationError: the phone is not a valid number, or the referral code is unknown.
        Conflict: a customer with this phone already exists at this merchant.
    """
    e164 = phone_normalize(raw=phone, region=merchant.country)
    if e164 is None:
        raise ValidationError({"phone": ["Enter a valid phone number."]})
    if Customer.objects.filter(merchant=merchant, phone=e164).exists():
        raise Conflict("customer_exists", "A customer with this phone number already exists.")
    referrer = None
    if referral_code:
        referrer = Customer.objects.filter(merchant=merchant, referral_code=referral_code.strip()).first()
        if referrer is None:
            raise ValidationError({"referral_code": ["No customer has this referral code."]})
    for attempt in range(20):
        code_length = 6 if attempt < 10 else 7 if attempt < 15 else 8
        customer = Customer(
            merchant=merchant,
            phone=e164,
            name=name.strip(),
            email=email.strip().lower(),
            birthday=birthday,
            gender=gender,
            language=language,
            card_number=card_number_generate(),
            referral_code=referral_code_generate(length=code_length),
            referred_by=referrer,
            invite_code=invite.strip(),
            joined_store=store,
            consent_email=consent_email,
            consent_sms=consent_sms,
            created_at=created_at or timezone.now(),
        )
        customer.search_text = customer_search_text(name=customer.name, email=customer.email, phone=e164)
        try:
            with transaction.atomic():
                customer.save(force_insert=True)
            return customer
        except IntegrityError:
            # A phone taken by a concurrent request is a conflict; a colliding code is retried.
            if Customer.objects.filter(merchant=merchant, phone=e164).exists():
                raise Conflict("customer_exists", "A customer with this phone number already exists.")
    raise ApplicationError("code_space_exhausted", "Could not allocate a unique card number and referral code.")


def customer_update(*, customer: Customer, actor: User | None = None, **fields) -> Customer:
    allowed = {"name", "email", "birthday", "gender", "consent_email", "consent_sms", "consent_push", "language"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: ["This field cannot be changed."] for name in unknown})
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.search_text = customer_search_text(name=customer.name, email=customer.email, phone=customer.phone)
    customer.save(update_fields=[*fields, "search_text"])
    if actor is not None:
        audit_record(merchant=customer.merchant, actor=actor, action="customer.updated", target=customer.phone, data={k: str(v) for k, v in fields.items()})
    return customer


# What staff may change on a customer's profile, in the order the audit log lists the changes.
BIRTHDAY_EARLIEST = datetime.date(1900, 1, 1)
CUSTOMER_EDIT_FIELDS = ("name", "phone", "email", "birthday", "gender", "language", "consent_email", "consent_sms", "consent_push")


def _audit_value(value):
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return value
    return str(value)


@transaction.atomic
def customer_edit(*, customer: Customer, actor: User, data: dict) -> Customer:
    """Staff change a customer's profile (back-office or counter); audited with each change, before and after.

    `data` holds any of CUSTOMER_EDIT_FIELDS. The phone is normalised to E.164 in the merchant's
    country; a phone or email another customer of the merchant already has is refused (both sign
    a customer in). Fields that did not change are not written or audited.

    Raises:
        ValidationError: an unknown field, an invalid phone, a phone or email taken by another customer,
            an unknown gender or language.
    """
    unknown = set(data) - set(CUSTOMER_EDIT_FIELDS)
    if unknown:
        raise ValidationError({name: [gettext("This field cannot be changed.")] for name in sorted(unknown)})
    customer = Customer.objects.select_for_update().select_related("merchant").get(pk=customer.pk)
    merchant = customer.merchant
    others = Customer.objects.filter(merchant=merchant).exclude(pk=customer.pk)
    clean, errors = {}, {}
    if "name" in data:
        clean["name"] = " ".join(str(data["name"] or "").split())[:200]
    if "phone" in data:
        e164 = phone_normalize(raw=str(data["phone"] or ""), region=merchant.country)
        if e164 is None:
            errors["phone"] = [gettext("Enter a valid phone number.")]
        elif others.filter(phone=e164).exists():
            errors["phone"] = [gettext("Another customer already has this phone number.")]
        else:
            clean["phone"] = e164
    if "email" in data:
        email = str(data["email"] or "").strip().lower()
        if email and others.filter(email=email).exists():
            errors["email"] = [gettext("Another customer already uses this email address.")]
        else:
            clean["email"] = email
    if "birthday" in data:
        birthday = data["birthday"] or None
        if birthday is not None and not (BIRTHDAY_EARLIEST <= birthday <= timezone.localdate()):
            errors["birthday"] = [gettext("Enter a birthday between 1900 and today.")]
        else:
            clean["birthday"] = birthday
    if "gender" in data:
        gender = data["gender"] or ""
        if gender and gender not in Gender.values:
            errors["gender"] = [gettext("Choose a gender from the list.")]
        else:
            clean["gender"] = gender
    if "language" in data:
        language = data["language"] or ""
        if language and language not in dict(settings.LANGUAGES):
            errors["language"] = [gettext("Unsupported language.")]
        else:
            clean["language"] = language
    for name in ("consent_email", "consent_sms", "consent_push"):
        if name in data:
            clean[name] = bool(data[name])
    if errors:
        raise ValidationError(errors)
    changes = {name: [_audit_value(getattr(customer, name)), _audit_value(value)]
               for name, value in clean.items() if getattr(customer, name) != value}
    if not changes:
        return customer
    before_phone = customer.phone
    for name in changes:
        setattr(customer, name, clean[name])
    customer.search_text = customer_search_text(name=customer.name, email=customer.email, phone=customer.phone)
    try:
        with transaction.atomic():
            customer.save(update_fields=[*changes, "search_text"])
    except IntegrityError:
        # Another request took the phone between the check and the write.
        raise ValidationError({"phone": [gettext("Another customer already has this phone number.")]})
    audit_record(
        merchant=merchant, actor=actor, action="customer.updated", target=before_phone,
        data={"customer": str(customer.pk), "name": customer.name, "phone": customer.phone, "changes": changes},
    )
    return customer


def api_key_create(*, merchant: Merchant, scope: str = ApiScope.POS, store: Store | None = None, name: str = "", actor: User | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is never stored and cannot be shown again."""
    if scope not in ApiScope.values:
        raise ValidationError({"scope": ["Scope must be pos or admin."]})
    if store is not None and store.merchant_id != merchant.id:
        raise ValidationError({"store": ["Unknown store."]})
    secret = f"lk_{scope}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        merchant=merchant, store=store, name=name, scope=scope, prefix=secret[:12], key_hash=api_key_hash(key=secret), created_by=actor
    )
    audit_record(merchant=merchant, actor=actor, action="api_key.created", target=key.prefix, data={"scope": scope})
    return key, secret


def api_key_revoke(*, key: ApiKey, actor: User | None = None) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(merchant=key.merchant, actor=actor, action="api_key.revoked", target=key.prefix)
    return key


def api_key_touch(*, key: ApiKey, now=None) -> None:
    """Record use at most once a minute, so a busy till does not write on every request."""
    now = now or timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


def _owner_guard(*, membership: Membership, actor: User | None) -> None:
    """An owner cannot lock themselves out, and a merchant always keeps one active owner."""
    if actor is not None and membership.user_id == actor.pk:
        raise ValidationError({"__all__": [gettext("You cannot change your own access.")]})
    if membership.role == Role.OWNER:
        owners = Membership.objects.filter(merchant=membership.merchant, role=Role.OWNER, is_active=True).exclude(pk=membership.pk)
        if not owners.exists():
            raise ValidationError({"__all__": [gettext("A business needs at least one active owner.")]})


@transaction.atomic
def staff_invite(*, merchant: Merchant, email: str, role: str, full_name: str = "", actor: User | None = None, base_url: str) -> Membership:
    """Give `email` a role and email them a link to choose a password (sent after commit).

    `base_url` is the site's address (scheme and host) the link points at.

    Raises:
        ValidationError: an unknown role, the person already works here (their role changes in the
            role form, never here), or already works at another business.
    """
    from django.contrib.auth.tokens import default_token_generator
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode
    from django.utils.translation import override

    email = email.strip().lower()
    other = Membership.objects.filter(user__email=email, is_active=True).exclude(merchant=merchant).exists()
    if other:
        raise ValidationError({"email": [gettext("This person already works at another business on this server.")]})
    membership = staff_add(merchant=merchant, email=email, role=role, full_name=full_name, actor=actor)
    user = membership.user
    if full_name and not user.full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    path = reverse("accounts:password_set", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)})
    link = base_url.rstrip("/") + path
    with override(user.language or merchant.language):
        subject = gettext("You are invited to %(merchant)s") % {"merchant": merchant.name}
        body = gettext(
            "Hello,\n\n%(inviter)s invited you to work with the loyalty program of %(merchant)s as %(role)s.\n\n"
            "Choose your password here (the link works for three days):\n%(link)s\n\n"
            "Then sign in with this email address: %(email)s\n"
        ) % {
            "inviter": str(actor) if actor else merchant.name,
            "merchant": merchant.name,
            "role": Role(role).label,
            "link": link,
            "email": email,
        }
    transaction.on_commit(lambda: send_mail(subject, body, None, [email]))
    return membership


@transaction.atomic
def staff_role_set(*, membership: Membership, role: str, actor: User | None = None) -> Membership:
    """Change a staff member's role. Audited.

    Raises:
        ValidationError: an unknown role, the actor's own membership, or the last owner.
    """
    if role not in Role.values:
        raise ValidationError({"role": [gettext("Unknown role.")]})
    membership = Membership.objects.select_for_update().select_related("user", "merchant").get(pk=membership.pk)
    if membership.role == role:
        return membership
    _owner_guard(membership=membership, actor=actor)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(merchant=membership.merchant, actor=actor, action="staff.role_changed", target=membership.user.email, data={"before": before, "role": role})
    return membership


@transaction.atomic
def staff_deactivate(*, membership: Membership, actor: User | None = None) -> Membership:
    """Take away a staff member's access at once (every screen checks the membership per request). Audited.

    Raises:
        ValidationError: the actor's own membership, or the last owner.
    """
    membership = Membership.objects.select_for_update().select_related("user", "merchant").get(pk=membership.pk)
    if not membership.is_active:
        return membership
    _owner_guard(membership=membership, actor=actor)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit_record(merchant=membership.merchant, actor=actor, action="staff.deactivated", target=membership.user.email, data={"role": membership.role})
    return membership

"""Tenants (merchants), their stores and staff, customers and POS API keys."""
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _


class Merchant(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="RUB")
    timezone = models.CharField(max_length=64, default="Europe/Moscow")
    language = models.CharField(max_length=8, default="ru", choices=settings.LANGUAGES)
    # Default region for parsing phone numbers typed without a country code.
    country = models.CharField(max_length=2, default="RU")
    created_at = models.DateTimeField(default=dj_timezone.now)

    def __str__(self) -> str:
        return self.name


class Store(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="stores")
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="store_code_unique_per_merchant")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A staff member: signs in with email; their merchant and role come from a membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)
    is_active = models.BooleanField(default=True)
    # Django admin access (operators only), not a merchant role.
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    def __str__(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    MARKETER = "marketer", _("Marketer")
    CASHIER = "cashier", _("Cashier")


class Membership(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class Gender(models.TextChoices):
    MALE = "m", _("Male")
    FEMALE = "f", _("Female")


class Customer(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="customers")
    phone = models.CharField(max_length=20)  # E.164
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    birthday = models.DateField(null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    language = models.CharField(max_length=8, blank=True, choices=settings.LANGUAGES)
    card_number = models.CharField(max_length=13)  # 13 digits, EAN-13 check digit
    referral_code = models.CharField(max_length=8)  # 6 to 8 digits
    consent_email = models.BooleanField(default=False)
    consent_sms = models.BooleanField(default=False)
    consent_push = models.BooleanField(default=True)
    # Who brought this customer and by which invite link; rewards for them belong to the referrals app.
    referred_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals")
    invite_code = models.CharField(max_length=64, blank=True)
    joined_store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    # Name, email and phone digits folded by accounts.search.customer_search_text(): what staff search matches, in any
    # letter case and alphabet on SQLite and PostgreSQL alike (SQLite's LIKE folds only ASCII).
    # Written by the services that write customers; the database default keeps raw inserts working.
    search_text = models.TextField(blank=True, default="", db_default="", editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "phone"], name="customer_phone_unique_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "card_number"], name="customer_card_unique_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "referral_code"], name="customer_refcode_unique_per_merchant"),
        ]
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="customer_merchant_created"),
            models.Index(fields=["merchant", "email"], name="customer_merchant_email"),
        ]

    def __str__(self) -> str:
        return self.name or self.phone


class ApiScope(models.TextChoices):
    POS = "pos", _("POS: customers and receipts")
    ADMIN = "admin", _("Admin: everything, including program settings")


class ApiKey(models.Model):
    """A POS or integration key. Only a SHA-256 hash of the secret is stored; the key is shown once."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    scope = models.CharField(max_length=8, choices=ApiScope.choices, default=ApiScope.POS)
    prefix = models.CharField(max_length=16)  # first characters of the key, to tell keys apart on screen
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at"], name="apikey_merchant_created")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.scope})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """What a staff member did, to whom, and why: written by services, read in the back-office."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-at"], name="audit_merchant_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.target}"


class LoginCode(models.Model):
    """A one-time code that proves an email address or phone number in the portal.

    `subject` is a keyed hash of what was typed (an email or a phone in E.164), so a request for
    a stranger leaves the same kind of row as one for a member and the two cannot be told apart.
    A sign-in code names its customer; a code for an unknown address names nobody and is never
    sent; a join code carries the typed profile in `join_data` and the customer is created only
    when the code comes back (so joining proves the phone).

    Only a keyed hash of the code is stored. A code is good for CODE_TTL minutes and
    CODE_MAX_TRIES wrong guesses; asking for a new one retires the old ones. The rows also
    serve as the request log that throttles how often codes are sent (per subject and per IP).
    """

    class Purpose(models.TextChoices):
        LOGIN = "login", "login"
        JOIN = "join", "join"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="login_codes")
    subject = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.LOGIN)
    join_data = models.JSONField(null=True, blank=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when the code signs the customer in, or when a newer code replaces it.
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channels = models.CharField(max_length=32, blank=True)  # where it was sent: "email", "sms", "email,sms", "" (nowhere)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "customer", "-created_at"], name="logincode_customer_created"),
            models.Index(fields=["merchant", "subject", "-created_at"], name="logincode_subject_created"),
            models.Index(fields=["merchant", "ip", "-created_at"], name="logincode_ip_created"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code {self.subject[:8]} at {self.created_at:%Y-%m-%d %H:%M}"

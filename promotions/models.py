"""Promotions, their codes, uses, personal offers and material gifts (API.md "Promotions").

Units: money is Decimal with MONEY_DECIMAL_PLACES in the merchant's currency; points are whole integers.
The JSON columns hold exactly the API's shapes (promotions.services.validation normalises them), so a
promotion reads back as it was written and the pricing core compiles it without translation.
"""
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone

from accounts.models import Customer, Merchant
from loyalty.models import Receipt

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}
QUANTITY = {"max_digits": 12, "decimal_places": 3}


def audience_default() -> dict:
    return {"tiers": [], "segments": [], "customers": [], "offer_only": False}


def conditions_default() -> dict:
    return {"min_subtotal": None, "skus": [], "categories": [], "min_quantity": None, "previous_purchase_min": None,
            "first_purchase": False, "every_nth": None, "code_required": False}


def target_default() -> dict:
    return {"skus": [], "categories": []}


def limits_default() -> dict:
    return {"per_customer": None, "total_uses": None, "budget_amount": None, "budget_points": None}


class Promotion(models.Model):
    """One promotion: when it applies (schedule, audience, conditions), what to (target), what it gives (effects)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="promotions")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(default=True)
    # Higher runs first; ties by code.
    priority = models.IntegerField(default=0)
    exclusive = models.BooleanField(default=False)
    # A fixed interval in UTC: start inclusive, end exclusive; null = open on that side.
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    # [{"days": [5], "from": "18:00", "to": "20:00"}]: ISO weekdays, local times in the merchant's timezone.
    weekly = models.JSONField(default=list, blank=True)
    audience = models.JSONField(default=audience_default, blank=True)
    conditions = models.JSONField(default=conditions_default, blank=True)
    target = models.JSONField(default=target_default, blank=True)
    effects = models.JSONField(default=list)
    block_accrual = models.BooleanField(default=False)
    block_redemption = models.BooleanField(default=False)
    limits = models.JSONField(default=limits_default, blank=True)
    # Counters written by commits and given back by full returns (read-only in the API).
    uses = models.PositiveIntegerField(default=0)
    spent_amount = models.DecimalField(default=Decimal("0"), **MONEY)
    spent_points = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-priority", "code"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="promotion_code_unique_per_merchant"),
            models.CheckConstraint(condition=Q(spent_amount__gte=0), name="promotion_spent_amount_non_negative"),
            models.CheckConstraint(
                condition=Q(starts_at__isnull=True) | Q(ends_at__isnull=True) | Q(starts_at__lt=F("ends_at")),
                name="promotion_starts_before_ends",
            ),
        ]
        indexes = [models.Index(fields=["merchant", "active", "ends_at"], name="promotion_merchant_live")]

    def __str__(self) -> str:
        return self.name


class PromotionVersion(models.Model):
    """A per-merchant number bumped by every promotion write: a process-wide cache of compiled
    promotions compares it (one indexed read per calculation) instead of reloading every promotion."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, primary_key=True, related_name="+")
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.merchant_id}: v{self.version}"


class PromoCode(models.Model):
    """A code a customer shows at the till: public (many uses) or personal single-use (bound or not)."""

    class Kind(models.TextChoices):
        PUBLIC = "public", "public"
        PERSONAL = "personal", "personal"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="codes")
    # Stored as written or generated; unique and matched without regard to case (see the constraint).
    code = models.CharField(max_length=64)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Personal codes: the one customer who may use it (null = whoever shows it first).
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Public codes: receipts per customer and in all (null = no limit).
    per_customer = models.PositiveIntegerField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True)
    used_count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Personal codes: closed by the commit that used them.
    used_at = models.DateTimeField(null=True, blank=True)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(F("merchant"), Upper("code"), name="promocode_unique_per_merchant_ci"),
            models.CheckConstraint(condition=Q(max_uses__isnull=True) | Q(used_count__lte=F("max_uses")),
                                   name="promocode_uses_within_limit"),
            models.CheckConstraint(condition=Q(kind="public") | Q(used_count__lte=1), name="promocode_personal_single_use"),
        ]
        indexes = [models.Index(fields=["promotion", "created_at"], name="promocode_promotion_created")]

    def __str__(self) -> str:
        return self.code

    @property
    def single_use(self) -> bool:
        return self.kind == self.Kind.PERSONAL


class PromotionUse(models.Model):
    """One receipt a promotion applied to: what it took off and added. Per-customer limits count these,
    stamp cards start again after the last one, and a full return marks it returned."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    promotion = models.ForeignKey(Promotion, on_delete=models.PROTECT, related_name="use_rows")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="+")
    code = models.ForeignKey(PromoCode, null=True, blank=True, on_delete=models.SET_NULL, related_name="use_rows")
    amount = models.DecimalField(default=Decimal("0"), **MONEY)
    points = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now)
    returned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["promotion", "receipt"], name="promotionuse_once_per_receipt"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="promotionuse_amount_non_negative"),
        ]
        indexes = [
            models.Index(fields=["merchant", "promotion", "customer"], name="promotionuse_customer"),
            models.Index(fields=["merchant", "receipt"], name="promotionuse_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} on {self.receipt_id}"


class Offer(models.Model):
    """A personal offer: one customer may use an `offer_only` promotion until `ends_at` or for `uses_left` receipts."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    promotion = models.ForeignKey(Promotion, on_delete=models.CASCADE, related_name="offers")
    granted_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)  # null = no end date
    uses_left = models.PositiveIntegerField(null=True, blank=True)  # null = no limit on receipts
    used = models.PositiveIntegerField(default=0)  # receipts it was used on
    # The receipt whose `unlock` granted it: a full return of that receipt withdraws an unused offer.
    source_receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "customer", "ends_at"], name="offer_customer_live"),
            models.Index(fields=["merchant", "source_receipt"], name="offer_source_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.promotion_id} for {self.customer_id}"


class Gift(models.Model):
    """A material gift waiting for a customer: lines of its SKU ring up at 0.00, up to its quantity, once."""

    class Status(models.TextChoices):
        OPEN = "open", "open"
        USED = "used", "used"
        WITHDRAWN = "withdrawn", "withdrawn"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    sku = models.CharField(max_length=64)
    quantity = models.DecimalField(**QUANTITY)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="gift_quantity_positive"),
            models.CheckConstraint(condition=~Q(status="used") | Q(receipt__isnull=False), name="gift_used_has_receipt"),
        ]
        indexes = [models.Index(fields=["merchant", "customer", "status"], name="gift_customer_status")]

    def __str__(self) -> str:
        return self.name

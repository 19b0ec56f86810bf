"""Program settings, the points ledger (accounts, lots, entries), receipts and refunds.

Units: points are whole integers; money is Decimal with MONEY_DECIMAL_PLACES, in the merchant's currency.
"""
import uuid
from decimal import Decimal

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer, Merchant, Store

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}
QUANTITY = {"max_digits": 12, "decimal_places": 3}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class Program(models.Model):
    """One per merchant: the base rules every receipt is priced by (docs/api.md "Program settings")."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="program")
    accrual_percent = models.DecimalField(default=Decimal("5.00"), **PERCENT)
    max_redeem_percent = models.DecimalField(default=Decimal("100.00"), **PERCENT)
    point_value = models.DecimalField(default=Decimal("1.00"), max_digits=10, decimal_places=2)
    points_ttl_days = models.PositiveIntegerField(null=True, blank=True, default=365)
    pending_days = models.PositiveIntegerField(default=0)
    welcome_bonus = models.PositiveIntegerField(default=300)
    welcome_bonus_ttl_days = models.PositiveIntegerField(null=True, blank=True, default=14)
    # A receipt whose subtotal is larger is refused everywhere (422 receipt_over_limit); null = no limit.
    max_receipt_amount = models.DecimalField(null=True, blank=True, **MONEY)
    # The counter asks the cashier to confirm a sale whose subtotal is larger; null = never asks.
    counter_confirm_amount = models.DecimalField(null=True, blank=True, default=Decimal("50000.00"), **MONEY)
    # At most this many marketing messages (campaigns) to one customer in 7 days; null = no cap. Triggered ones are exempt.
    max_marketing_per_week = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(accrual_percent__gte=0, accrual_percent__lte=100), name="program_accrual_0_100"),
            models.CheckConstraint(condition=Q(max_redeem_percent__gte=0, max_redeem_percent__lte=100), name="program_cap_0_100"),
            models.CheckConstraint(condition=Q(point_value__gt=0), name="program_point_value_positive"),
            models.CheckConstraint(condition=Q(points_ttl_days__isnull=True) | Q(points_ttl_days__gte=1), name="program_ttl_positive"),
            models.CheckConstraint(
                condition=Q(welcome_bonus_ttl_days__isnull=True) | Q(welcome_bonus_ttl_days__gte=1), name="program_welcome_ttl_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_receipt_amount__isnull=True) | Q(max_receipt_amount__gt=0), name="program_max_receipt_positive"
            ),
            models.CheckConstraint(
                condition=Q(counter_confirm_amount__isnull=True) | Q(counter_confirm_amount__gt=0), name="program_confirm_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Program of {self.merchant}"


class PointsAccount(models.Model):
    """The row a writer locks before touching a customer's lots; also holds refund debt.

    Balance is never cached: available = remaining of active lots - debt, pending = remaining of
    pending lots. Debt exists only when a refund had to take back points already spent, and any
    active lot repays it first, so debt > 0 implies no active lot has points left.
    """

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, primary_key=True, related_name="points_account")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    debt = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(default=timezone.now)
    # Tier state is recorded: upgrades by the commit that earns them, downgrades by recalculate_tiers.
    tier = models.ForeignKey("Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts", db_index=False)
    tier_since = models.DateTimeField(null=True, blank=True)
    # A manual override by staff wins over the computed tier until it ends.
    override_tier = models.ForeignKey("Tier", null=True, blank=True, on_delete=models.SET_NULL, related_name="overridden_accounts")
    override_until = models.DateTimeField(null=True, blank=True)
    override_reason = models.CharField(max_length=250, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(debt__gte=0), name="account_debt_non_negative")]
        indexes = [models.Index(fields=["merchant", "tier"], name="account_merchant_tier")]

    def __str__(self) -> str:
        return f"Points of {self.customer_id}"

    @property
    def effective_tier(self):
        """The tier the customer is in now: a staff override while it lasts, else the recorded tier."""
        return self.override_tier if self.override_tier_id else self.tier


class EntryKind(models.TextChoices):
    ACCRUAL = "accrual", _("Accrual")
    REDEMPTION = "redemption", _("Redemption")
    EXPIRY = "expiry", _("Expiry")
    WELCOME = "welcome", _("Welcome bonus")
    BONUS = "bonus", _("Bonus")
    REFERRAL = "referral", _("Referral reward")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REFUND = "refund", _("Return")
    DONATION = "donation", _("Donation")
    AGENT = "agent", _("Agent reward")
    FAMILY = "family", _("Family balance transfer")
    IMPORT = "import", _("Imported balance")


class Receipt(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Foreign keys lean on the composite indexes below (all start with merchant), not their own.
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="receipts", db_index=False)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="receipts", db_index=False)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="receipts", db_index=False)
    number = models.CharField(max_length=64)
    purchased_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    subtotal = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY)
    redeemed_points = models.PositiveIntegerField(default=0)
    redeemed_amount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    accrued_points = models.PositiveIntegerField(default=0)
    applied = models.JSONField(default=list)
    # Running totals of returns, so a list can show them without summing refunds.
    refunded_amount = models.DecimalField(default=Decimal("0"), **MONEY)
    # What the returned items cost (their share of subtotal - discount): tiers count spend net of it.
    refunded_cost = models.DecimalField(default=Decimal("0"), **MONEY)
    points_reversed = models.PositiveIntegerField(default=0)
    points_returned = models.PositiveIntegerField(default=0)
    fully_refunded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "store", "number"], name="receipt_number_unique_per_store"),
            models.CheckConstraint(condition=Q(total__gte=0), name="receipt_total_non_negative"),
            models.CheckConstraint(condition=Q(refunded_amount__lte=F("total")), name="receipt_refund_within_total"),
            models.CheckConstraint(condition=Q(points_reversed__lte=F("accrued_points")), name="receipt_reversed_within_accrued"),
            models.CheckConstraint(condition=Q(points_returned__lte=F("redeemed_points")), name="receipt_returned_within_redeemed"),
        ]
        indexes = [
            models.Index(fields=["merchant", "-purchased_at"], name="receipt_merchant_purchased"),
            models.Index(fields=["merchant", "customer", "-purchased_at"], name="receipt_merchant_customer"),
            models.Index(fields=["merchant", "number"], name="receipt_merchant_number"),
            # Staff type receipt numbers in any case: the counter's and the office's lookups ignore it.
            models.Index(F("merchant"), Upper("number"), name="receipt_merchant_number_ci"),
        ]

    def __str__(self) -> str:
        return f"Receipt {self.number}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines", db_index=False)  # (receipt, position) is unique
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    position = models.PositiveIntegerField()
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    category = models.CharField(max_length=100, blank=True)
    quantity = models.DecimalField(**QUANTITY)
    price = models.DecimalField(**MONEY)
    amount = models.DecimalField(**MONEY)
    discount = models.DecimalField(**MONEY)
    redeemed_points = models.PositiveIntegerField(default=0)
    redeemed_amount = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    accrued_points = models.PositiveIntegerField(default=0)
    returned_quantity = models.DecimalField(default=Decimal("0"), **QUANTITY)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(condition=Q(returned_quantity__gte=0, returned_quantity__lte=F("quantity")), name="line_returned_within_quantity"),
            models.UniqueConstraint(fields=["receipt", "position"], name="line_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} × {self.quantity}"


class Refund(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="refunds")
    at = models.DateTimeField(default=timezone.now)
    cashier = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    refunded_amount = models.DecimalField(**MONEY)
    points_reversed = models.PositiveIntegerField(default=0)
    points_returned = models.PositiveIntegerField(default=0)
    # The part of points_reversed that was already spent and became debt.
    debt_created = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-at"], name="refund_merchant_at")]

    def __str__(self) -> str:
        return f"Return on {self.receipt_id}"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(ReceiptLine, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.DecimalField(**QUANTITY)
    amount = models.DecimalField(**MONEY)
    cost = models.DecimalField(default=Decimal("0"), **MONEY)
    points_reversed = models.PositiveIntegerField(default=0)
    points_returned = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="refundline_quantity_positive")]


class Lot(models.Model):
    """A credit of points with its own lifetime; spending consumes lots that expire first."""

    # Every lot read filters merchant and customer: lot_customer_fefo serves them. Fewer indexes
    # keep the set-based expiry, which rewrites every due lot, cheap.
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="lots", db_index=False)
    source = models.CharField(max_length=16, choices=EntryKind.choices)
    points = models.PositiveIntegerField()
    remaining = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    # Pending until the activation job, run at or after activates_at, records it as active.
    activates_at = models.DateTimeField(null=True, blank=True)
    is_pending = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Set by the expiry job: when it ran and how many points it took.
    expired_at = models.DateTimeField(null=True, blank=True)
    expired_points = models.PositiveIntegerField(default=0)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.PROTECT, related_name="lots", db_index=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="lot_points_positive"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=F("points")), name="lot_remaining_within_points"),
        ]
        indexes = [
            models.Index(fields=["merchant", "customer", "expires_at"], name="lot_customer_fefo"),
            models.Index(fields=["expires_at"], condition=Q(remaining__gt=0), name="lot_due_expiry"),
            models.Index(fields=["activates_at"], condition=Q(is_pending=True), name="lot_due_activation"),
            models.Index(fields=["receipt"], condition=Q(receipt__isnull=False), name="lot_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.source} lot {self.remaining}/{self.points}"


class Entry(models.Model):
    """One change of a customer's points. Append-only: PostgreSQL refuses UPDATE and DELETE."""

    # Only the indexes reads need: the history index, the one-expiry-per-lot constraint and receipt
    # lookups. The expiry job inserts a million entries at a time; each index is paid per row.
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="entries", db_index=False)
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    points = models.IntegerField()
    at = models.DateTimeField(default=timezone.now)
    # The text in the merchant's language at the time (what older rows have only), and what to render
    # it from in the reader's language (loyalty.texts): a message code and its parameters.
    description = models.CharField(max_length=300)
    description_code = models.CharField(max_length=40, blank=True, db_default="")
    description_params = models.JSONField(null=True, blank=True)
    lot = models.ForeignKey(Lot, null=True, blank=True, on_delete=models.PROTECT, related_name="entries", db_index=False)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.PROTECT, related_name="entries", db_index=False)
    refund = models.ForeignKey(Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="entries", db_index=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    # The lifetime of the points this entry credited, shown in the history.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(points=0), name="entry_points_nonzero"),
            # The expiry job can run twice with the same --now; a lot expires once.
            models.UniqueConstraint(fields=["lot"], condition=Q(kind="expiry"), name="entry_one_expiry_per_lot"),
        ]
        indexes = [
            models.Index(fields=["merchant", "customer", "-at", "-id"], name="entry_customer_history"),
            models.Index(fields=["receipt"], condition=Q(receipt__isnull=False), name="entry_receipt"),
            # The dashboard's "this month" sums.
            models.Index(fields=["merchant", "at"], name="entry_merchant_at"),
        ]
        triggers = [
            pgtrigger.Protect(name="entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    @property
    def text(self) -> str:
        """The description in the active language."""
        from loyalty.texts import entry_text

        return entry_text(self)

    @property
    def short_text(self) -> str:
        """The description beside the kind's badge, without repeating the badge's word."""
        from loyalty.texts import entry_text

        return entry_text(self, short=True)


class IdempotencyRecord(models.Model):
    """The first response to a state-changing API call, replayed for the same key and body."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        DONE = "done"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="idempotency_key_unique_per_merchant")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created")]


class JobRun(models.Model):
    """A record of each scheduled job run, shown to the operator."""

    name = models.CharField(max_length=64)
    as_of = models.DateTimeField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    result = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["name", "-started_at"], name="jobrun_name_started")]


class Tier(models.Model):
    """A level customers climb (docs/api.md "Tiers"). Null rates fall back to the program's."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=100)
    rank = models.PositiveIntegerField()
    accrual_percent = models.DecimalField(null=True, blank=True, **PERCENT)
    max_redeem_percent = models.DecimalField(null=True, blank=True, **PERCENT)
    discount_percent = models.DecimalField(default=Decimal("0.00"), **PERCENT)
    # {"total_spend": "10000.00", "purchases": 5, "single_receipt": "3000.00", "referrals": 2}; {} = everyone.
    entry = models.JSONField(default=dict, blank=True)
    window_days = models.PositiveIntegerField(null=True, blank=True)
    # Conditions to stay, same keys as entry; null = once reached, kept for good.
    keep = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="tier_code_unique_per_merchant"),
            models.UniqueConstraint(fields=["merchant", "rank"], name="tier_rank_unique_per_merchant"),
            models.CheckConstraint(condition=Q(discount_percent__gte=0, discount_percent__lte=100), name="tier_discount_0_100"),
            models.CheckConstraint(condition=Q(window_days__isnull=True) | Q(window_days__gte=1), name="tier_window_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class TierChange(models.Model):
    """Every change of a customer's tier: from, to, when and why."""

    class Reason(models.TextChoices):
        JOINED = "joined", _("Joined the program")
        UPGRADE = "upgrade", _("Reached the entry conditions")
        DOWNGRADE = "downgrade", _("No longer meets the conditions")
        OVERRIDE = "override", _("Set by staff")
        OVERRIDE_ENDED = "override_ended", _("Staff override ended")
        TIER_DELETED = "tier_deleted", _("Tier deleted")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    to_tier = models.ForeignKey(Tier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Names at the time, so history reads right after a tier is renamed or deleted.
    from_name = models.CharField(max_length=100, blank=True)
    to_name = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    note = models.CharField(max_length=250, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "customer", "-at"], name="tierchange_customer_at"),
            models.Index(fields=["merchant", "-at"], name="tierchange_merchant_at"),
        ]


class CustomerMessage(models.Model):
    """A message to a customer shown in the portal (tier changes now; campaigns later)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    # Title and body in the merchant's language at the time (all older rows have), and what to render
    # them from in the reader's language (loyalty.texts): `code` + ".title" / ".body" with `params`.
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    code = models.CharField(max_length=40, blank=True, db_default="")
    params = models.JSONField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "customer", "-at"], name="message_customer_at")]

    @property
    def title_text(self) -> str:
        from loyalty.texts import message_title_body

        return message_title_body(self)[0]

    @property
    def body_text(self) -> str:
        from loyalty.texts import message_title_body

        return message_title_body(self)[1]


class ProgramPage(models.Model):
    """A text page of the program the merchant writes: its rules, or its privacy policy (portal /rules/, /privacy/).

    The body is plain text with a small markdown subset (see loyalty.documents); no HTML is ever taken from it.
    """

    class Kind(models.TextChoices):
        RULES = "rules", _("Program rules")
        PRIVACY = "privacy", _("Privacy policy")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    body = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "kind"], name="programpage_one_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} of {self.merchant_id}"


# --- webhooks and imports (docs/api.md "Importing customers and webhooks") ---

WEBHOOK_EVENTS = ("customer.created", "receipt.committed", "receipt.refunded", "tier.changed", "points.expired")


class WebhookEndpoint(models.Model):
    """A URL of the merchant's CRM or shop that hears about the events it subscribed to.

    The secret signs every delivery; the API and the office show it once, when the endpoint is made.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at"], name="webhook_merchant_created")]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """The outbox: one row per event, written in the transaction of the change it tells about.

    The dispatcher fans it out to a delivery per subscribed endpoint after the commit.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="webhookevent_merchant_created"),
            models.Index(fields=["created_at"], condition=Q(dispatched_at__isnull=True), name="webhookevent_undispatched"),
        ]


class WebhookDelivery(models.Model):
    """One event sent to one endpoint: retried with exponential backoff for a day."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "-created_at"], name="webhookdelivery_merchant"),
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="webhookdelivery_due"),
        ]


class WebhookAttempt(models.Model):
    """The delivery log: each POST tried, with the response code (null when no answer came)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["at", "id"]


class CustomerImport(models.Model):
    """An upload of an existing customer base, run (or dry-run) by a job; its progress and row errors."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(max_length=255, blank=True)
    file_format = models.CharField(max_length=8)  # csv or xlsx
    # The uploaded bytes until the job has read them (emptied when it finishes).
    data = models.BinaryField(default=b"")
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    balances = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    error_count = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["merchant", "-created_at"], name="customerimport_merchant")]

"""Invite links: a marketer's link (and QR code) for a partner, a post or an ad channel, and who joined through it."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer, Merchant

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class InviteLink(models.Model):
    """`offers` and `gifts` hold the API's shapes: [{"promotion", "days", "uses"}], [{"name", "sku", "quantity"}]."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invite_links", db_index=False)
    code = models.CharField(max_length=64)  # lower case letters, digits, "-" and "_"
    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=64, blank=True, default="")
    # Instead of the program's welcome bonus for sign-ups through this link; null = the program's.
    welcome_bonus = models.PositiveIntegerField(null=True, blank=True)
    offers = models.JSONField(default=list, blank=True)
    gifts = models.JSONField(default=list, blank=True)
    # What the placement cost, for cost per buyer; null = unknown.
    cost = models.DecimalField(null=True, blank=True, **MONEY)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="invitelink_code_unique_per_merchant"),
            models.CheckConstraint(condition=Q(cost__isnull=True) | Q(cost__gte=0), name="invitelink_cost_not_negative"),
        ]

    def __str__(self) -> str:
        return self.name or self.code


class InviteSignup(models.Model):
    """A customer who joined through a link: the attribution the per-link report counts from.

    `joined_at` is the customer's join moment (UTC). `purchases` (their receipts not fully returned) and
    `revenue` (those receipts' subtotal - discount less returns) are recounted from the customer's receipts
    after each of their commits and returns (referrals.services.invite_links.invite_signup_recount), so the
    report reads one row per sign-up instead of every receipt."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    link = models.ForeignKey(InviteLink, on_delete=models.CASCADE, related_name="signups", db_index=False)
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="invite_signup")
    joined_at = models.DateTimeField()
    purchases = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(default=0, **MONEY)

    class Meta:
        indexes = [models.Index(fields=["merchant", "link", "joined_at"], name="invitesignup_link_joined")]

    def __str__(self) -> str:
        return f"{self.customer_id} via {self.link_id}"

"""Charity: funds a merchant collects points for, and the donations customers make to them."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer, Merchant

MONEY = {"max_digits": settings.MONEY_MAX_DIGITS, "decimal_places": settings.MONEY_DECIMAL_PLACES}


class Fund(models.Model):
    """A cause customers may give points to (an animal shelter, a children's hospital)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="fund_code_unique_per_merchant")]

    def __str__(self) -> str:
        return self.name


class Donation(models.Model):
    """Points a customer gave to a fund: the ledger entry (kind `donation`) is the debit itself.

    `amount` is points × the program's point value at the time, in the merchant's currency.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="donations", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    points = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)
    entry = models.OneToOneField("loyalty.Entry", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(points__gt=0), name="donation_points_positive")]
        indexes = [
            models.Index(fields=["merchant", "fund", "at"], name="donation_fund_at"),
            models.Index(fields=["merchant", "customer", "-at"], name="donation_customer_at"),
        ]

    def __str__(self) -> str:
        return f"{self.points} to {self.fund_id}"

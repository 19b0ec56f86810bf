"""Daily rollups of the reports: what happened on each of a merchant's days, per store.

Written only by analytics.rollups (the `rollup_reports` job): one transaction per merchant and day
deletes the day's rows and inserts them again, so a re-run of a day gives the same rows. A day is
rolled up when it has a RollupDay row; reports read the rows of rolled-up days and compute the rest
(today, and any day the job has not reached) live from the receipts and the ledger.

Units: money is Decimal in the merchant's currency; points are whole integers.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Merchant, Store

MONEY = {"max_digits": 18, "decimal_places": settings.MONEY_DECIMAL_PLACES, "default": 0}


class RollupDay(models.Model):
    """A merchant's day that the rollup job has written (in the merchant's timezone)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "day"], name="rollupday_unique_per_merchant")]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day}"


class SalesDay(models.Model):
    """Receipts purchased on a day at a store: their count, revenue and discounts by mechanic.

    `revenue` is subtotal - discount less what returns of those receipts took back (refunded_cost);
    `member_*` counts receipts of identified customers; `new_members` customers who joined that day
    at the store (store null: joined nowhere in particular).
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    receipts = models.PositiveIntegerField(default=0)
    member_receipts = models.PositiveIntegerField(default=0)
    revenue = models.DecimalField(**MONEY)
    member_revenue = models.DecimalField(**MONEY)
    discount_tier = models.DecimalField(**MONEY)
    discount_promotions = models.DecimalField(**MONEY)
    discount_agents = models.DecimalField(**MONEY)
    discount_gifts = models.DecimalField(**MONEY)
    new_members = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["merchant", "day", "store"], name="salesday_merchant_day")]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day} {self.store_id}"


class PointsDay(models.Model):
    """Points credited and debited on a day, by entry kind and store (store null: no receipt behind the entry)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    store = models.ForeignKey(Store, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    kind = models.CharField(max_length=16)
    credited = models.BigIntegerField(default=0)
    debited = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(credited__gte=0, debited__gte=0), name="pointsday_non_negative")]
        indexes = [models.Index(fields=["merchant", "day", "store"], name="pointsday_merchant_day")]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.day} {self.kind}"


class DayListField(models.Field):
    """A sorted list of day numbers: `integer[]` on PostgreSQL (read with width_bucket, a binary search);
    on SQLite a text column that stays empty (the customers' distinct counts are computed live there)."""

    def db_type(self, connection):
        return "integer[]" if connection.vendor == "postgresql" else "text"


class CustomerDays(models.Model):
    """PostgreSQL only: per member and store, the days (analytics.selectors.day_number) of every receipt
    of a rolled-up day, one element per receipt, sorted; so buyers, repeat buyers and returning buyers of
    any period are counted by scanning members rather than receipts. Written by the rollup job with its day."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+", db_index=False)
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="+", db_index=False)
    days = DayListField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "customer", "store"], name="customerdays_unique")]

    def __str__(self) -> str:
        return f"{self.customer_id} at {self.store_id}"

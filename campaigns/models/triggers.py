"""Automatic messages fired by an event in a customer's life, once per occasion."""
from django.db import models
from django.utils import timezone

from accounts.models import Merchant


class Trigger(models.Model):
    class Event(models.TextChoices):
        WELCOME = "welcome", "welcome"
        FIRST_PURCHASE = "first_purchase", "first_purchase"
        BIRTHDAY = "birthday", "birthday"
        WINBACK = "winback", "winback"
        TIER_REACHED = "tier_reached", "tier_reached"
        CATEGORY_PURCHASE = "category_purchase", "category_purchase"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    event = models.CharField(max_length=20, choices=Event.choices)
    # days_before (birthday), family (birthday), days (winback), tier (tier_reached), category + delay_days (category_purchase)
    params = models.JSONField(default=dict, blank=True)
    channels = models.JSONField(default=list)
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    offer = models.JSONField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="trigger_code_unique_per_merchant")]

    def __str__(self) -> str:
        return self.name

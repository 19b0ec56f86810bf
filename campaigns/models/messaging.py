"""Deliveries of messages (campaigns and triggers) and the customers' Web Push subscriptions."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer, Merchant


class Channel(models.TextChoices):
    EMAIL = "email", "email"
    SMS = "sms", "sms"
    PUSH = "push", "push"


CHANNELS = tuple(Channel.values)


class Delivery(models.Model):
    """One message to one customer, claimed before it is sent: the row is what makes a send exactly-once.

    A campaign delivery is unique per (campaign, customer); a trigger delivery per (trigger, customer, occasion).
    Control-group members get a row too (status `control`): the audience is frozen in these rows.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"        # frozen in the audience, not yet sent
        SENDING = "sending", "sending"        # claimed by a worker; the message is going out now
        SENT = "sent", "sent"
        SKIPPED = "skipped", "skipped"        # no usable channel (consent, contact), or capped
        FAILED = "failed", "failed"           # the channel refused it, or a worker died before confirming it
        CONTROL = "control", "control"        # held out for the uplift report: sent nothing, granted nothing

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey("campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    trigger = models.ForeignKey("campaigns.Trigger", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    request_sku = models.CharField(max_length=64, blank=True)  # a product-request notification
    occasion = models.CharField(max_length=100, blank=True)     # triggers: which occasion (birthday:2027, tier:gold, ...)
    marketing = models.BooleanField(default=True)               # counts against max_marketing_per_week
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)  # SMS / Web Push waiting out quiet hours
    sent_at = models.DateTimeField(null=True, blank=True)
    code = models.CharField(max_length=64, blank=True)  # the personal promo code sent, if any

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], condition=Q(campaign__isnull=False), name="delivery_once_per_campaign"),
            models.UniqueConstraint(fields=["trigger", "customer", "occasion"], condition=Q(trigger__isnull=False),
                                    name="delivery_once_per_occasion"),
        ]
        indexes = [
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
            models.Index(fields=["merchant", "customer", "sent_at"], name="delivery_customer_sent"),
            models.Index(fields=["trigger", "sent_at"], name="delivery_trigger_sent"),
        ]


class PushSubscription(models.Model):
    """A browser's Web Push subscription, saved when the customer allowed notifications in the portal."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    endpoint = models.URLField(max_length=500)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "endpoint"], name="push_subscription_unique")]

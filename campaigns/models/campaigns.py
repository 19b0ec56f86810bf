"""A campaign: one mailing to a segment (or every member), with an optional offer and a control group."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Merchant


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        SCHEDULED = "scheduled", "scheduled"
        SENDING = "sending", "sending"
        SENT = "sent", "sent"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    segment_code = models.CharField(max_length=64, blank=True)  # "" = every member
    request_sku = models.CharField(max_length=64, blank=True)  # a "notify all" of product requests: those who asked for it
    channels = models.JSONField(default=list)
    subject = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    offer = models.JSONField(null=True, blank=True)
    control_percent = models.PositiveIntegerField(default=0)
    send_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    recipients = models.PositiveIntegerField(default=0)
    control = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "code"], name="campaign_code_unique_per_merchant"),
            models.CheckConstraint(condition=Q(control_percent__lte=90), name="campaign_control_at_most_90"),
        ]

    def __str__(self) -> str:
        return self.name

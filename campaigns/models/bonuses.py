"""Occasion bonuses: points credited once to every member of a segment, with the marketer's reason."""
from django.conf import settings
from django.db import models
from django.utils import timezone


class SegmentBonus(models.Model):
    """One occasion bonus as it was given: to whom (the segment then), how many points, and why."""

    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+")
    segment = models.ForeignKey("campaigns.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="bonuses")
    segment_name = models.CharField(max_length=200)  # as it was named then
    points = models.PositiveIntegerField()
    ttl_days = models.PositiveIntegerField(null=True, blank=True)
    reason = models.CharField(max_length=200)
    customers = models.PositiveIntegerField(default=0)
    at = models.DateTimeField(default=timezone.now)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["merchant", "-at"], name="segmentbonus_merchant_at")]

    def __str__(self) -> str:
        return f"{self.reason}: {self.points} × {self.customers}"

"""Segments: named rules that pick a merchant's customers, evaluated in one SQL query when asked."""
from django.conf import settings
from django.db import models
from django.utils import timezone


def rules_default() -> dict:
    return {"all": []}


class Segment(models.Model):
    """A saved set of rules (`campaigns.segments` compiles them); membership is never stored, only evaluated."""

    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="segments")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    rules = models.JSONField(default=rules_default)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name", "code"]
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="segment_code_unique_per_merchant")]

    def __str__(self) -> str:
        return self.name or self.code

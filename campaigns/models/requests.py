"""Product requests: a customer wants an SKU that is not on the shelf yet."""
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Customer, Merchant


class ProductRequest(models.Model):
    class Source(models.TextChoices):
        COUNTER = "counter", "counter"
        PORTAL = "portal", "portal"
        API = "api", "api"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    sku = models.CharField(max_length=64)
    note = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merchant", "customer", "sku"], condition=Q(notified_at__isnull=True),
                                    name="product_request_open_once"),
        ]
        indexes = [models.Index(fields=["merchant", "sku", "notified_at"], name="product_request_sku")]

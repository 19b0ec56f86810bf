"""Product requests ("the closed club"): a customer wants an SKU; when it arrives the marketer mails exactly those who asked."""
from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ValidationError
from accounts.models import Customer, Merchant
from campaigns.messages import channels_check, text_check
from campaigns.models import Campaign, ProductRequest

SKU = re.compile(r"[^\x00-\x1f]{1,64}")


def request_record(*, merchant: Merchant, customer: Customer, sku, source: str, note: str = "") -> ProductRequest:
    """Record "I want this SKU"; asking again before the notification changes nothing."""
    errors: dict = {}
    sku = text_check(sku, field="sku", errors=errors, max_length=64, required=True)
    note = text_check(note, field="note", errors=errors, max_length=200, required=False)
    if errors:
        raise ValidationError(errors)
    if customer.merchant_id != merchant.pk:
        raise ValidationError({"customer": [_("Unknown customer.")]})
    existing = ProductRequest.objects.filter(merchant=merchant, customer=customer, sku=sku, notified_at__isnull=True).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return ProductRequest.objects.create(merchant=merchant, customer=customer, sku=sku, note=note or "", source=source)
    except IntegrityError:
        return ProductRequest.objects.get(merchant=merchant, customer=customer, sku=sku, notified_at__isnull=True)


def requests_by_sku(*, merchant: Merchant) -> QuerySet:
    """Open requests per SKU: [{"sku", "customers", "last"}], most wanted first."""
    return (ProductRequest.objects.filter(merchant=merchant, notified_at__isnull=True).values("sku")
            .annotate(customers=Count("customer", distinct=True), last=Max("created_at")).order_by("-customers", "sku"))


def requests_for_customer(*, merchant: Merchant, customer: Customer) -> QuerySet:
    return ProductRequest.objects.filter(merchant=merchant, customer=customer, notified_at__isnull=True).order_by("-created_at")


def requests_notify(*, merchant: Merchant, sku, data) -> Campaign:
    """"Notify all": a campaign to exactly the customers with an open request for `sku` (no control group, not capped)."""
    from campaigns.mailing import campaign_send

    errors: dict = {}
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    sku = text_check(sku, field="sku", errors=errors, max_length=64, required=True)
    text = text_check(data.get("text"), field="text", errors=errors, max_length=5000, required=True)
    subject = text_check(data.get("subject", ""), field="subject", errors=errors, max_length=200, required=False)
    channels = channels_check(data.get("channels", ["email", "sms", "push"]), field="channels", errors=errors)
    if sku and not errors and not ProductRequest.objects.filter(merchant=merchant, sku=sku, notified_at__isnull=True).exists():
        errors["sku"] = [_("Nobody is waiting for this SKU.")]
    if errors:
        raise ValidationError(errors)
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    campaign = Campaign.objects.create(merchant=merchant, code=f"request-{stamp}", name=(_("Arrived: %(sku)s") % {"sku": sku})[:200],
                                       request_sku=sku, channels=channels, subject=subject or "", text=text, control_percent=0)
    return campaign_send(campaign=campaign)

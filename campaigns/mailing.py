"""Campaigns: one mailing to a segment (or every member). Create, edit, preview, test, send, report.

Sending freezes the audience into Delivery rows (control-group members included, chosen by a hash of the
campaign and the customer), then `campaigns.delivery.run` sends them exactly once each.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import ApplicationError, Conflict, NotFound, ValidationError
from accounts.models import Customer, Merchant
from campaigns import channels as ch
from campaigns import delivery, selectors
from campaigns.messages import channels_check, code_check, int_check, offer_check, offer_resolve, text_check
from campaigns.models import Campaign, Delivery

S = Delivery.Status
FIELDS = ("code", "name", "segment", "channels", "subject", "text", "offer", "control_percent", "send_at")
READ_ONLY = ("status", "recipients", "control", "sent", "skipped", "progress")
FREEZE_BATCH = 2000


# ---- segments (owned by the segments part of this app) -------------------------------------------------------

def segment_find(*, merchant: Merchant, code: str):
    from campaigns.selectors import segment_get

    return segment_get(merchant=merchant, code=code)


def audience_ids(*, merchant: Merchant, segment_code: str):
    """Ids of the customers a campaign goes to now: the segment's members, or every member."""
    if not segment_code:
        return Customer.objects.filter(merchant=merchant).order_by("pk").values_list("pk", flat=True)
    segment = segment_find(merchant=merchant, code=segment_code)
    if segment is None:
        raise ApplicationError("segment_not_found", _("The campaign's segment no longer exists."), status=422)
    from campaigns.selectors import segment_customers

    return segment_customers(merchant=merchant, segment=segment).order_by("pk").values_list("pk", flat=True)


def is_control(*, campaign: Campaign, customer_id, percent: int | None = None) -> bool:
    """Deterministic: SHA-256 of "<campaign id>:<customer id>" mapped to 0..9999 and compared with the percent."""
    percent = campaign.control_percent if percent is None else percent
    if not percent:
        return False
    digest = hashlib.sha256(f"{campaign.pk}:{customer_id}".encode()).hexdigest()
    return int(digest[:8], 16) % 10000 < percent * 100


# ---- create and edit -----------------------------------------------------------------------------------------

def campaign_validate(*, merchant: Merchant, data, campaign: Campaign | None = None) -> dict:
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
    errors: dict = {}
    for key in data:
        if key not in FIELDS and key not in READ_ONLY:
            errors[str(key)[:64]] = [_("Unknown field.")]
    creating = campaign is None
    clean: dict = {}
    if creating or "code" in data:
        if "code" not in data:
            errors["code"] = [_("This field is required.")]
        else:
            code = code_check(data["code"], field="code", errors=errors)
            if code is not None:
                if campaign is not None and code != campaign.code:
                    errors["code"] = [_("The code cannot be changed.")]
                elif creating and Campaign.objects.filter(merchant=merchant, code=code).exists():
                    errors["code"] = [_("A campaign with this code exists.")]
                clean["code"] = code
    if creating or "name" in data:
        clean["name"] = text_check(data.get("name"), field="name", errors=errors, max_length=200, required=True)
    if "segment" in data:
        value = data["segment"]
        if value in (None, ""):
            clean["segment_code"] = ""
        else:
            code = code_check(value, field="segment", errors=errors)
            if code is not None:
                if segment_find(merchant=merchant, code=code) is None:
                    errors["segment"] = [_("Unknown segment: %(code)s.") % {"code": code}]
                clean["segment_code"] = code
    if creating or "channels" in data:
        clean["channels"] = channels_check(data.get("channels", ["email", "push"]), field="channels", errors=errors)
    if "subject" in data:
        clean["subject"] = text_check(data["subject"], field="subject", errors=errors, max_length=200, required=False)
    if creating or "text" in data:
        clean["text"] = text_check(data.get("text"), field="text", errors=errors, max_length=5000, required=True)
    if "offer" in data:
        clean["offer"] = offer_check(data["offer"], merchant=merchant, field="offer", errors=errors)
    if "control_percent" in data:
        clean["control_percent"] = int_check(data["control_percent"], field="control_percent", errors=errors, low=0, high=90, nullable=False)
    if "send_at" in data:
        from promotions.services.validation import moment_parse

        clean["send_at"] = moment_parse(data["send_at"], field="send_at", errors=errors)
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def campaign_create(*, merchant: Merchant, data) -> Campaign:
    clean = campaign_validate(merchant=merchant, data=data)
    campaign = Campaign.objects.create(merchant=merchant, **clean)
    if campaign.send_at:
        campaign.status = Campaign.Status.SCHEDULED
        campaign.save(update_fields=["status"])
    return campaign


@transaction.atomic
def campaign_update(*, campaign: Campaign, data) -> Campaign:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    clean = campaign_validate(merchant=campaign.merchant, data=data, campaign=campaign)
    if campaign.status in (Campaign.Status.SENDING, Campaign.Status.SENT) and set(clean) - {"code", "name"}:
        raise Conflict("campaign_sent", _("A campaign that is being sent or was sent can only be renamed."))
    for name, value in clean.items():
        setattr(campaign, name, value)
    if "send_at" in clean:
        campaign.status = Campaign.Status.SCHEDULED if campaign.send_at else Campaign.Status.DRAFT
    campaign.save()
    return campaign


# ---- reading -------------------------------------------------------------------------------------------------

def campaign_counts(campaign: Campaign) -> dict:
    rows = Delivery.objects.filter(campaign=campaign).values("status", "channel").annotate(n=Count("id"))
    sent = {"email": 0, "sms": 0, "push": 0}
    skipped = done = 0
    for row in rows:
        if row["status"] == S.SENT:
            sent[row["channel"]] += row["n"]
            done += row["n"]
        elif row["status"] in (S.SKIPPED, S.FAILED):
            skipped += row["n"] if row["status"] == S.SKIPPED else 0
            done += row["n"]
    mailable = campaign.recipients - campaign.control
    progress = Decimal(100) if campaign.status == Campaign.Status.SENT else (
        Decimal(done * 100) / mailable if mailable else Decimal(0))
    return {"sent": sent, "skipped": skipped, "progress": f"{min(progress, Decimal(100)):.2f}"}


def campaign_as_dict(campaign: Campaign) -> dict:
    counts = campaign_counts(campaign)
    return {
        "code": campaign.code, "name": campaign.name, "segment": campaign.segment_code or None, "channels": campaign.channels,
        "subject": campaign.subject, "text": campaign.text, "offer": campaign.offer, "control_percent": campaign.control_percent,
        "send_at": campaign.send_at.isoformat() if campaign.send_at else None, "status": campaign.status,
        "recipients": campaign.recipients, "control": campaign.control, **counts,
    }


def campaign_preview(*, campaign: Campaign, customer: Customer, now: datetime | None = None) -> dict:
    """The subject and text as `customer` would read them (their name, balance, a sample code, the offer's end)."""
    now = now or timezone.now()
    merchant = campaign.merchant
    language = customer.language or merchant.language
    balance = delivery.balances(merchant_id=merchant.pk, customer_ids=[customer.pk], now=now).get(str(customer.pk), 0)
    offer = campaign.offer or {}
    values = {"name": customer.name or "", "balance": balance + (offer.get("points") or 0),
              "code": "SAMPLE-CODE" if offer.get("codes") else "",
              "offer_ends": delivery.offer_ends_text(offer=offer, merchant=merchant, now=now, language=language)}
    return {"customer": str(customer.pk), "language": language, "channel": ch.channel_choose(customer, campaign.channels),
            "subject": delivery.render(campaign.subject, **values), "text": delivery.render(campaign.text, **values)}


def campaign_test_send(*, campaign: Campaign, email: str) -> None:
    """One sample email to `email` (no offer, no delivery row)."""
    from django.core.mail import EmailMessage
    from django.core.validators import validate_email

    if not isinstance(email, str):
        raise ValidationError({"email": [_("Enter a valid email address.")]})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": [_("Enter a valid email address.")]}) from None
    values = {"name": _("Sample customer"), "balance": 0, "code": "SAMPLE-CODE", "offer_ends": ""}
    EmailMessage(subject="[TEST] " + (delivery.render(campaign.subject, **values) or campaign.name),
                 body=delivery.render(campaign.text, **values), to=[email]).send()


# ---- sending -------------------------------------------------------------------------------------------------

def campaign_send(*, campaign: Campaign) -> Campaign:
    """Start sending now (POST .../send): 202 and a job; twice is the same as once."""
    from django_q.tasks import async_task

    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.status == Campaign.Status.SENT:
            return campaign
        if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SCHEDULED):
            campaign.status = Campaign.Status.SENDING
            campaign.send_at = timezone.now()
            campaign.save(update_fields=["status", "send_at"])
    # Queued after the status is committed; the job claims rows, so a second queued job only finds nothing left.
    async_task("campaigns.messaging_jobs.campaign_send_job", campaign.pk)
    campaign.refresh_from_db()
    return campaign


def audience_freeze(*, campaign: Campaign, now: datetime) -> None:
    """Write one Delivery row per member (control members as `control`), once: the audience is frozen at send."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.started_at is not None:
            return
        merchant = campaign.merchant
        if campaign.request_sku:
            from campaigns.models import ProductRequest

            ids = (ProductRequest.objects.filter(merchant=merchant, sku=campaign.request_sku, notified_at__isnull=True)
                   .order_by("customer_id").values_list("customer_id", flat=True).distinct())
        else:
            ids = audience_ids(merchant=merchant, segment_code=campaign.segment_code)
        total = control = 0
        batch: list[Delivery] = []
        for customer_id in ids.iterator(chunk_size=FREEZE_BATCH):
            held = is_control(campaign=campaign, customer_id=customer_id)
            control += held
            batch.append(Delivery(merchant_id=merchant.pk, customer_id=customer_id, campaign=campaign, created_at=now,
                                  status=S.CONTROL if held else S.PENDING, marketing=not campaign.request_sku))
            if len(batch) >= FREEZE_BATCH:
                Delivery.objects.bulk_create(batch, ignore_conflicts=True)
                total += len(batch)
                batch = []
        if batch:
            Delivery.objects.bulk_create(batch, ignore_conflicts=True)
            total += len(batch)
        campaign.recipients, campaign.control, campaign.started_at = total, control, now
        campaign.status = Campaign.Status.SENDING
        campaign.save(update_fields=["recipients", "control", "started_at", "status"])
        if campaign.request_sku:
            ProductRequest.objects.filter(merchant=merchant, sku=campaign.request_sku, notified_at__isnull=True).update(notified_at=now)


def campaign_run(*, campaign: Campaign, now: datetime | None = None) -> dict:
    """Freeze (once) and send what is due; marks the campaign sent when nothing is left. Safe to run twice, in parallel."""
    now = now or timezone.now()
    audience_freeze(campaign=campaign, now=now)
    campaign.refresh_from_db()
    merchant = campaign.merchant
    reason = _("campaign “%(name)s”") % {"name": campaign.name}
    content = delivery.Content(subject=campaign.subject, text=campaign.text, channels=campaign.channels,
                               offer=offer_resolve(merchant=merchant, offer=campaign.offer), marketing=not campaign.request_sku,
                               reason=reason)
    base = Delivery.objects.filter(campaign=campaign)
    totals = delivery.run(merchant=merchant, base=base, content=content, now=now)
    if not base.filter(status__in=(S.PENDING, S.SENDING)).exists():
        Campaign.objects.filter(pk=campaign.pk).exclude(status=Campaign.Status.SENT).update(
            status=Campaign.Status.SENT, finished_at=timezone.now())
    return totals


def campaigns_due(*, now: datetime) -> int:
    """The scheduled job: start scheduled campaigns whose time has come and finish those left sending."""
    count = 0
    due = Campaign.objects.filter(Q(status=Campaign.Status.SCHEDULED, send_at__lte=now) | Q(status=Campaign.Status.SENDING))
    for campaign in due.select_related("merchant").order_by("pk"):
        result = campaign_run(campaign=campaign, now=now)
        count += result["sent"]
    return count


# ---- the report (a read: campaigns.selectors, where the reports also read it) ----

campaign_report = selectors.campaign_report

"""The marketer's messaging screens: campaigns (list, editor with preview and test, send, progress, delivery log,
report), triggers (one card per event) and product requests per SKU. Owners and marketers; every read and write
scoped to the request's merchant. The cashier's part (recording a product request) is at the end."""
from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.errors import ApplicationError
from accounts.permissions import COUNTER_ROLES, OFFICE_ROLES, staff_required
from campaigns import mailing, triggering, wishlist
from campaigns.models import Campaign, Delivery, Trigger
from campaigns.office.messaging_forms import (EVENT_CHOICES, CampaignForm, NotifyForm, PreviewForm, RequestForm, TestForm,
                                              TriggerForm)

office = staff_required(*OFFICE_ROLES)
counter = staff_required(*COUNTER_ROLES)
LOG_ROWS = 50


def _errors(form, error) -> None:
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        for field, items in error.message_dict.items():
            name = field.split(".")[0]
            name = {"segment": "segment", "offer": "offer_points"}.get(name, name)
            for item in items:
                form.add_error(name if name in form.fields else None, item)
    elif isinstance(error, ApplicationError):
        form.add_error(None, error.message)
    else:
        for item in getattr(error, "messages", [str(error)]):
            form.add_error(None, item)


def _campaign(request, code) -> Campaign:
    campaign = Campaign.objects.filter(merchant=request.merchant, code=code).select_related("merchant").first()
    if campaign is None:
        raise Http404
    return campaign


@office
def campaign_list(request):
    campaigns = Campaign.objects.filter(merchant=request.merchant, request_sku="").order_by("-created_at")[:200]
    rows = [{"campaign": campaign, **mailing.campaign_counts(campaign)} for campaign in campaigns]
    return render(request, "campaigns/office/campaigns.html", {"rows": rows, "section": "campaigns"})


def _initial(campaign: Campaign) -> dict:
    offer = campaign.offer or {}
    return {"name": campaign.name, "code": campaign.code, "segment": campaign.segment_code, "channels": campaign.channels,
            "subject": campaign.subject, "text": campaign.text, "offer_points": offer.get("points"), "offer_ttl_days": offer.get("ttl_days"),
            "control_percent": campaign.control_percent, "send_at": campaign.send_at}


@office
def campaign_edit(request, code=None):
    campaign = _campaign(request, code) if code else None
    form = CampaignForm(request.POST or None, initial=_initial(campaign) if campaign else None)
    if campaign:
        form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        payload = form.payload()
        try:
            if campaign:
                payload.pop("code")
                if campaign.offer and not (campaign.offer.get("points")) and payload["offer"] is None:
                    payload.pop("offer")  # an offer set through the API that the form cannot show stays
                campaign = mailing.campaign_update(campaign=campaign, data=payload)
            else:
                campaign = mailing.campaign_create(merchant=request.merchant, data=payload)
        except (DjangoValidationError, ApplicationError) as error:
            _errors(form, error)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect("messaging_office:campaign", code=campaign.code)
    context = {"form": form, "campaign": campaign, "section": "campaigns"}
    if campaign:
        context.update(_detail_context(request, campaign))
    return render(request, "campaigns/office/campaign.html", context)


def _detail_context(request, campaign: Campaign) -> dict:
    log = Delivery.objects.filter(campaign=campaign).select_related("customer").order_by("-sent_at", "-pk")[:LOG_ROWS]
    return {"counts": mailing.campaign_counts(campaign), "log": log, "preview_form": PreviewForm(), "test_form": TestForm()}


@office
def campaign_progress(request, code):
    campaign = _campaign(request, code)
    return render(request, "campaigns/office/_progress.html", {"campaign": campaign, "counts": mailing.campaign_counts(campaign)})


@office
@require_POST
def campaign_preview(request, code):
    campaign = _campaign(request, code)
    form = PreviewForm(request.POST)
    preview = None
    if form.is_valid():
        customer = account_selectors.customer_lookup(merchant=request.merchant, q=form.cleaned_data["customer"])
        if customer is None:
            form.add_error("customer", _("No member with this phone or card number."))
        else:
            preview = mailing.campaign_preview(campaign=campaign, customer=customer)
            preview["member"] = customer
    return render(request, "campaigns/office/_campaign_preview.html", {"campaign": campaign, "preview_form": form, "preview": preview})


@office
@require_POST
def campaign_test(request, code):
    campaign = _campaign(request, code)
    form = TestForm(request.POST)
    if form.is_valid():
        mailing.campaign_test_send(campaign=campaign, email=form.cleaned_data["email"])
        messages.success(request, _("A sample was sent to %(email)s.") % {"email": form.cleaned_data["email"]})
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("messaging_office:campaign", code=campaign.code)


@office
@require_POST
def campaign_send(request, code):
    campaign = _campaign(request, code)
    try:
        mailing.campaign_send(campaign=campaign)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Sending started."))
    return redirect("messaging_office:campaign", code=campaign.code)


@office
def campaign_report(request, code):
    campaign = _campaign(request, code)
    raw = request.GET.get("days", "30")
    days = int(raw) if raw.isdigit() and 1 <= int(raw) <= 3650 else 30
    report = mailing.campaign_report(campaign=campaign, days=days)
    return render(request, "campaigns/office/report.html", {"campaign": campaign, "report": report, "chart": _chart(report),
                                                            "days": days, "section": "campaigns"})


def _chart(report: dict) -> dict:
    """Bar heights for the server-drawn SVG: revenue per customer, mailed and control, and the CI whisker."""
    mailed = float(report["revenue_per_customer"]["mailed"])
    control = float(report["revenue_per_customer"]["control"])
    ci = report["uplift"]["ci95"]
    high = max(mailed, control, 1.0)
    if ci:
        high = max(high, control + float(ci[1]))
    scale = 160 / high

    def y(value):
        return round(180 - max(value, 0) * scale, 1)

    chart = {"mailed_y": y(mailed), "mailed_h": round(180 - y(mailed), 1), "control_y": y(control), "control_h": round(180 - y(control), 1),
             "mailed": report["revenue_per_customer"]["mailed"], "control": report["revenue_per_customer"]["control"], "whisker": None}
    if ci:
        chart["whisker"] = {"top": y(control + float(ci[1])), "bottom": y(control + float(ci[0]))}
    return chart


# ---- triggers ------------------------------------------------------------------------------------------------

@office
def trigger_list(request):
    triggers = list(Trigger.objects.filter(merchant=request.merchant).order_by("code"))
    cards = []
    for event, label in EVENT_CHOICES:
        mine = [{"trigger": trigger, "sent": triggering.sent_last_week(trigger)} for trigger in triggers if trigger.event == event]
        cards.append({"event": event, "label": label, "triggers": mine})
    return render(request, "campaigns/office/triggers.html", {"cards": cards, "section": "triggers"})


@office
def trigger_edit(request, code=None):
    trigger = Trigger.objects.filter(merchant=request.merchant, code=code).first() if code else None
    if code and trigger is None:
        raise Http404
    initial = {"event": request.GET.get("event", "welcome"), "active": True}
    if trigger:
        offer = trigger.offer or {}
        initial = {"name": trigger.name, "code": trigger.code, "event": trigger.event, **trigger.params, "channels": trigger.channels,
                   "subject": trigger.subject, "text": trigger.text, "offer_points": offer.get("points"),
                   "offer_ttl_days": offer.get("ttl_days"), "active": trigger.active}
    form = TriggerForm(request.POST or None, initial=initial)
    if trigger:
        form.fields["code"].disabled = True
        form.fields["event"].disabled = True
    if request.method == "POST" and form.is_valid():
        payload = form.payload()
        try:
            if trigger:
                payload.pop("code")
                trigger = triggering.trigger_update(trigger=trigger, data=payload)
            else:
                trigger = triggering.trigger_create(merchant=request.merchant, data=payload)
        except (DjangoValidationError, ApplicationError) as error:
            _errors(form, error)
        else:
            messages.success(request, _("Trigger saved."))
            return redirect("messaging_office:triggers")
    return render(request, "campaigns/office/trigger.html", {"form": form, "trigger": trigger, "section": "triggers"})


@office
@require_POST
def trigger_toggle(request, code):
    trigger = Trigger.objects.filter(merchant=request.merchant, code=code).first()
    if trigger is None:
        raise Http404
    triggering.trigger_update(trigger=trigger, data={"active": not trigger.active})
    return redirect("messaging_office:triggers")


# ---- product requests ----------------------------------------------------------------------------------------

@office
def request_list(request):
    rows = list(wishlist.requests_by_sku(merchant=request.merchant)[:500])
    for row in rows:
        row["form"] = NotifyForm(initial={"sku": row["sku"]}, auto_id=f"id_%s_{len(row['sku'])}_{abs(hash(row['sku'])) % 10_000}")
    return render(request, "campaigns/office/requests.html", {"rows": rows, "section": "product_requests"})


@office
@require_POST
def request_notify(request):
    form = NotifyForm(request.POST)
    if form.is_valid():
        try:
            campaign = wishlist.requests_notify(merchant=request.merchant, sku=form.cleaned_data["sku"], data={
                "subject": form.cleaned_data["subject"], "text": form.cleaned_data["text"]})
        except (DjangoValidationError, ApplicationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("Sent to everyone waiting for %(sku)s: %(n)s.") % {"sku": campaign.request_sku, "n": campaign.recipients})
    else:
        messages.error(request, _("Write the text of the message."))
    return redirect("messaging_office:requests")


@counter
@require_POST
def counter_request(request, customer_id):
    customer = account_selectors.customer_get(merchant=request.merchant, customer_id=customer_id)
    if customer is None:
        raise Http404
    form = RequestForm(request.POST)
    if form.is_valid():
        wishlist.request_record(merchant=request.merchant, customer=customer, sku=form.cleaned_data["sku"],
                                note=form.cleaned_data["note"], source="counter")
        messages.success(request, _("Noted: %(sku)s. The customer will hear when it arrives.") % {"sku": form.cleaned_data["sku"]})
    else:
        messages.error(request, _("Enter the SKU."))
    return redirect("counter:customer", customer_id=customer.pk)

"""The back-office tiers editor and the tier parts of the customer page.

Owners and marketers list tiers, create, edit, reorder and delete them; before saving, a preview
counts how many customers each tier would hold with the typed thresholds, from the merchant's own
history (htmx as the marketer types, or the Preview button without JavaScript). The services
validate and write; these views map their errors beside the fields.
"""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import selectors as account_selectors
from accounts.errors import ApplicationError, ValidationError
from accounts.permissions import OFFICE_ROLES, staff_required
from loyalty import selectors
from loyalty.models import Tier
from loyalty.office.tier_forms import TierForm, TierOverrideEndForm, TierOverrideForm
from loyalty.services import tiers as tier_services
from loyalty.templatetags.ui import local_format

office = staff_required(*OFFICE_ROLES)

PROPOSED_KEYS = ("code", "name", "rank", "entry", "window_days", "keep")


def _tier_or_404(request, code) -> Tier:
    tier = selectors.tier_list(merchant=request.merchant).filter(code=code).first()
    if tier is None:
        raise Http404
    return tier


def _message_dict(error: ValidationError) -> dict:
    return error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}


# ---------- List ----------

@office
def tier_list(request):
    merchant = request.merchant
    rows = selectors.tier_distribution(merchant=merchant)
    tiers = [row for row in rows if row["tier"] is not None]
    tiers.reverse()  # the top tier first, like a ladder: "up" raises a tier
    return render(request, "office/tiers.html", {
        "rows": tiers,
        "untiered": sum(row["count"] for row in rows if row["tier"] is None),
        "shadowed_warning": _shadowed_text(shadowed) if (shadowed := tier_services.tier_starts_shadowed(merchant=merchant)) else "",
        "program": selectors.program_get(merchant=merchant),
        "section": "tiers",
    })


# ---------- Create and edit, with the preview ----------

def _service_accepts(request, form: TierForm, tier: Tier | None) -> bool:
    """Whether the service finds the fields valid; its errors go beside them (and the save then reports them again)."""
    try:
        tier_services.tier_validate(merchant=request.merchant, data=form.tier_data(), tier=tier)
    except ValidationError:
        return False
    return True


def _refuse_second_start(request, form: TierForm, tier: Tier | None) -> bool:
    """Put the error beside the entry conditions when the tier would be a second start tier above the first."""
    start = tier_services.tier_start_conflict(merchant=request.merchant, data=form.tier_data(), tier=tier)
    if start is None:
        return False
    form.group_errors["entry"].append(_(
        "%(start)s (rank %(rank)s) is the start tier: it has no entry conditions, so every customer qualifies for it. "
        "A second tier without entry conditions above it would take every customer and leave %(start)s empty. "
        "Give this tier at least one entry condition."
    ) % {"start": start.name, "rank": start.rank})
    return True


def _preview(request, form: TierForm, tier: Tier | None):
    """Validate the typed tier and count customers per tier with it; (rows, None) or (None, form errors)."""
    merchant = request.merchant
    data = form.tier_data()
    try:
        tier_services.tier_validate(merchant=merchant, data=data, tier=tier)
    except ValidationError as error:
        form.apply_service_errors(_message_dict(error))
        return None
    if _refuse_second_start(request, form, tier):
        return None
    proposed = []
    for existing in selectors.tier_list(merchant=merchant):
        if tier is not None and existing.pk == tier.pk:
            continue
        proposed.append({key: getattr(existing, key) for key in PROPOSED_KEYS})
    # An edited tier keeps its old code here, so its "now" count is found under it.
    proposed.append({**{key: data[key] for key in PROPOSED_KEYS}, "code": tier.code if tier else data["code"], "edited": True})
    try:
        rows = tier_services.tier_preview(merchant=merchant, proposed=[{k: v for k, v in p.items() if k != "edited"} for p in proposed])
    except ValidationError as error:
        form.apply_service_errors(_message_dict(error))
        return None
    edited_code = proposed[-1]["code"]
    for row in rows:
        row["edited"] = row["code"] == edited_code
        row["delta"] = row["would_have"] - row["has_now"]
    return rows


def _tier_form_page(request, *, tier: Tier | None):
    merchant = request.merchant
    previewing = request.method == "POST" and (request.htmx or request.POST.get("action") == "preview")
    preview = None
    status = 200
    if request.method == "POST":
        form = TierForm(request.POST)
        if form.is_valid():
            if previewing:
                preview = _preview(request, form, tier)
            elif _service_accepts(request, form, tier) and _refuse_second_start(request, form, tier):
                pass
            else:
                try:
                    if tier is None:
                        saved = tier_services.tier_create(merchant=merchant, data=form.tier_data(), actor=request.user)
                        messages.success(request, _("Tier %(name)s created.") % {"name": saved.name})
                    else:
                        saved = tier_services.tier_update(tier=tier, data=form.tier_data(), actor=request.user)
                        messages.success(request, _("Tier %(name)s saved.") % {"name": saved.name})
                except ValidationError as error:
                    form.apply_service_errors(_message_dict(error))
                except ApplicationError as error:
                    form.add_error(None, error.message)
                else:
                    _warn_shadowed_start(request)
                    return redirect("office:tiers")
        if form.has_problems:
            status = 400
        if request.htmx:
            return render(request, "office/partials/_tier_preview.html", {"form": form, "preview": preview, "tier": tier}, status=200)
    else:
        if tier is not None:
            form = TierForm(initial=TierForm.initial_for(tier))
        else:
            top = selectors.tier_list(merchant=merchant).order_by("-rank").values_list("rank", flat=True).first() or 0
            form = TierForm(initial={"rank": top + 1})
    return render(request, "office/tier_form.html", {
        "form": form, "tier": tier, "preview": preview, "previewed": previewing,
        "program": selectors.program_get(merchant=merchant), "section": "tiers",
    }, status=status)


def _warn_shadowed_start(request) -> None:
    shadowed = tier_services.tier_starts_shadowed(merchant=request.merchant)
    if shadowed:
        messages.warning(request, _shadowed_text(shadowed))


def _shadowed_text(shadowed: list[Tier]) -> str:
    names = ", ".join(tier.name for tier in shadowed)
    return _(
        "More than one tier has no entry conditions. New customers start in %(start)s, but every customer qualifies for the "
        "highest tier without conditions, so %(names)s stay empty. Give the higher one entry conditions."
    ) % {"start": shadowed[0].name, "names": names}


@office
def tier_create(request):
    return _tier_form_page(request, tier=None)


@office
def tier_edit(request, code):
    return _tier_form_page(request, tier=_tier_or_404(request, code))


# ---------- Reorder and delete ----------

@office
@require_POST
def tier_move(request, code):
    tier = _tier_or_404(request, code)
    direction = request.POST.get("direction", "")
    try:
        other = tier_services.tier_move(tier=tier, direction=direction, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if other is None:
            messages.info(request, _("%(name)s is already at the end of the list.") % {"name": tier.name})
        else:
            messages.success(request, _("%(name)s and %(other)s swapped places.") % {"name": tier.name, "other": other.name})
    return redirect("office:tiers")


@office
def tier_delete(request, code):
    tier = _tier_or_404(request, code)
    merchant = request.merchant
    members = selectors.tier_member_count(merchant=merchant, tier=tier)
    blocked = not tier.entry and not selectors.tier_list(merchant=merchant).filter(entry={}).exclude(pk=tier.pk).exists()
    if request.method == "POST":
        try:
            moved = tier_services.tier_delete(tier=tier, actor=request.user)
        except ApplicationError as error:
            messages.error(request, error.message)
            return redirect("office:tier_delete", code=tier.code)
        messages.success(request, ngettext(
            "Tier %(name)s deleted; %(count)s customer moved to the tier they now qualify for.",
            "Tier %(name)s deleted; %(count)s customers moved to the tier they now qualify for.", moved,
        ) % {"name": tier.name, "count": moved})
        return redirect("office:tiers")
    return render(request, "office/tier_delete.html", {
        "tier": tier, "members": members, "blocked": blocked, "section": "tiers",
    })


# ---------- The customer page: tier, history, override ----------

def customer_tier_context(request, customer, override_form=None, end_form=None) -> dict:
    """The tier parts of the back-office customer page (office.customer_detail renders them)."""
    merchant = request.merchant
    tiers = list(selectors.tier_list(merchant=merchant))
    panel = selectors.customer_tier_panel(merchant=merchant, customer=customer, now=timezone.now())
    return {
        **panel,
        "tier_history": selectors.tier_history(merchant=merchant, customer=customer),
        "override_form": override_form or TierOverrideForm(tiers=tiers),
        "override_end_form": end_form or TierOverrideEndForm(),
    }


def _customer_or_404(request, customer_id):
    customer = account_selectors.customer_get(merchant=request.merchant, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


def _customer_page(request, customer, **forms):
    from loyalty.office.forms import AdjustForm
    from loyalty.office.views import main as office_views

    return office_views._customer_page(request, customer, AdjustForm(), status=400, **forms)


def _end_of_local_day(merchant, day):
    zone = ZoneInfo(merchant.timezone)
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


@office
@require_POST
def customer_tier_override(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    merchant = request.merchant
    tiers = list(selectors.tier_list(merchant=merchant))
    form = TierOverrideForm(request.POST, tiers=tiers)
    if form.is_valid():
        tier = next(t for t in tiers if t.code == form.cleaned_data["tier"]) if form.cleaned_data["tier"] else None
        if tier is None:
            form.add_error("tier", _("Choose a tier."))
        else:
            try:
                tier_services.tier_override_set(
                    customer=customer, tier=tier, until=_end_of_local_day(merchant, form.cleaned_data["until"]),
                    reason=form.cleaned_data["reason"], staff=request.user,
                )
            except ValidationError as error:
                for key, errors in _message_dict(error).items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(request, _("%(customer)s is in %(tier)s until %(until)s.") % {
                    "customer": customer.name or customer.phone, "tier": tier.name,
                    "until": local_format(form.cleaned_data["until"], merchant, "date"),
                })
                return redirect(f"{_customer_url(customer)}#tier")
    return _customer_page(request, customer, tier_override_form=form)


@office
@require_POST
def customer_tier_override_end(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    form = TierOverrideEndForm(request.POST)
    account = selectors.customer_account_get(merchant=request.merchant, customer=customer)
    if account is None or not account.override_tier_id:
        messages.info(request, _("This customer's tier is not set by hand."))
        return redirect(_customer_url(customer))
    if form.is_valid():
        try:
            tier_services.tier_override_set(customer=customer, tier=None, until=None, reason=form.cleaned_data["end_reason"], staff=request.user)
        except ValidationError as error:
            for errors in _message_dict(error).values():
                form.add_error("end_reason", errors)
        else:
            messages.success(request, _("The override ended; the customer is back in the tier they earned."))
            return redirect(f"{_customer_url(customer)}#tier")
    return _customer_page(request, customer, tier_end_form=form)


def _customer_url(customer) -> str:
    from django.urls import reverse

    return reverse("office:customer", kwargs={"customer_id": customer.pk})

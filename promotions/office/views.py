"""The marketer's promotion screens: the list, the editor, codes, and gifts and offers on the
customer page. Owners and marketers only; every read and write scoped to the request's merchant.
Views parse input, call one service or selector, and render."""
from __future__ import annotations

import csv
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.errors import ApplicationError
from accounts.errors import ValidationError as ServiceValidationError
from accounts.permissions import OFFICE_ROLES, staff_required
from django.core.exceptions import ValidationError as DjangoValidationError
from loyalty import selectors as loyalty_selectors
from promotions import selectors
from promotions.office.forms import CodeBatchForm, GiftForm, OfferForm, PromotionForm, PublicCodeForm, moment_iso
from promotions.services import (
    code_batch_create,
    code_create,
    gift_grant,
    gift_withdraw,
    offer_grant,
    offer_validate,
    offer_withdraw,
    promotion_as_dict,
    promotion_create,
    promotion_delete,
    promotion_update,
)

office = staff_required(*OFFICE_ROLES)

CSV_COLUMNS = ("code", "customer", "phone", "used_at", "receipt")
CODES_PER_PAGE = 50


def _error_messages(error) -> dict[str, list[str]]:
    """A service error as {field: [messages]} (None: not tied to a field)."""
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        return error.message_dict
    detail = getattr(error, "detail", None)
    if isinstance(detail, dict):
        return {str(key): [str(item) for item in (value if isinstance(value, list) else [value])] for key, value in detail.items()}
    if isinstance(error, ApplicationError):
        field = next(iter(error.fields), None) if getattr(error, "fields", None) else None
        return {field or "__all__": [error.message]}
    if isinstance(error, DjangoValidationError):
        return {"__all__": error.messages}
    return {"__all__": [str(error)]}


def _apply_errors(form, error, mapper=None) -> None:
    for key, texts in _error_messages(error).items():
        name = mapper(key) if mapper else key
        if name not in form.fields:
            name = None
        for text in texts:
            form.add_error(name, text if name else (f"{key}: {text}" if key not in ("__all__", "non_field_errors") else text))


SERVICE_ERRORS = (DjangoValidationError, ServiceValidationError, ApplicationError)


def _promotion_or_404(request, code):
    promotion = selectors.promotion_get(merchant=request.merchant, code=code)
    if promotion is None:
        raise Http404
    return promotion


def _customer_or_404(request, customer_id):
    customer = account_selectors.customer_get(merchant=request.merchant, customer_id=customer_id)
    if customer is None:
        raise Http404
    return customer


# ---------- List ----------

@office
@require_GET
def promotion_list(request):
    state = request.GET.get("state", "live")
    if state not in selectors.STATES:
        state = "live"
    now = timezone.now()
    rows = list(selectors.promotion_list(merchant=request.merchant, state=state, now=now))
    counts = {name: selectors.promotion_list(merchant=request.merchant, state=name, now=now).count() for name in selectors.STATES}
    return render(request, "promotions/office/list.html", {
        "rows": rows, "state": state, "counts": counts, "states": selectors.STATES, "section": "promotions",
    })


@office
@require_POST
def promotion_toggle(request, code):
    """Switch a promotion on or off (off ends it: PATCH {"active": false})."""
    promotion = _promotion_or_404(request, code)
    active = request.POST.get("active") == "true"
    try:
        promotion_update(promotion=promotion, data={"active": active}, actor=request.user)
    except SERVICE_ERRORS as error:
        messages.error(request, " ".join(text for texts in _error_messages(error).values() for text in texts))
    else:
        messages.success(request, _("“%(name)s” is on.") % {"name": promotion.name} if active else _("“%(name)s” has ended.") % {"name": promotion.name})
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/office/") else "promotions_office:list")


# ---------- Editor ----------

def _editor_form(request, *, data=None, promotion=None, initial=None):
    merchant = request.merchant
    return PromotionForm(data, initial=initial, merchant=merchant, promotion=promotion,
                         tiers=list(loyalty_selectors.tier_list(merchant=merchant)),
                         promotions=list(selectors.promotion_list(merchant=merchant, now=timezone.now())))


def _editor(request, form, promotion=None, status=200):
    return render(request, "promotions/office/editor.html", {"form": form, "promotion": promotion, "section": "promotions"}, status=status)


@office
def promotion_create_view(request):
    if request.method == "POST":
        form = _editor_form(request, data=request.POST)
        if form.is_valid():
            try:
                promotion = promotion_create(merchant=request.merchant, data=form.api_dict(), actor=request.user)
            except SERVICE_ERRORS as error:
                _apply_errors(form, error, form.field_for_error)
            else:
                messages.success(request, _("Promotion “%(name)s” created.") % {"name": promotion.name})
                return redirect("promotions_office:edit", code=promotion.code)
        return _editor(request, form, status=400)
    return _editor(request, _editor_form(request, initial={"active": True, "priority": 0, "effect_1_type": "percent_off"}))


@office
def promotion_edit(request, code):
    promotion = _promotion_or_404(request, code)
    if request.method == "POST":
        form = _editor_form(request, data=request.POST, promotion=promotion, initial={"code": promotion.code})
        if form.is_valid():
            try:
                promotion_update(promotion=promotion, data=form.api_dict(), actor=request.user)
            except SERVICE_ERRORS as error:
                _apply_errors(form, error, form.field_for_error)
                promotion.refresh_from_db()
            else:
                messages.success(request, _("Promotion “%(name)s” saved.") % {"name": promotion.name})
                return redirect("promotions_office:edit", code=promotion.code)
        return _editor(request, form, promotion, status=400)
    data = promotion_as_dict(promotion)
    phones = {}
    for customer_id in data["audience"].get("customers", []):
        customer = account_selectors.customer_get(merchant=request.merchant, customer_id=customer_id)
        if customer is not None:
            phones[customer_id] = customer.phone
    initial = PromotionForm.initial_from(data, merchant=request.merchant, phones=phones)
    return _editor(request, _editor_form(request, promotion=promotion, initial=initial), promotion)


@office
@require_POST
def promotion_delete_view(request, code):
    promotion = _promotion_or_404(request, code)
    try:
        promotion_delete(promotion=promotion, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("promotions_office:edit", code=promotion.code)
    messages.success(request, _("Promotion “%(name)s” deleted.") % {"name": promotion.name})
    return redirect("promotions_office:list")


# ---------- Codes ----------

def _codes_page(request, promotion, public_form=None, batch_form=None, status=200):
    page = Paginator(selectors.code_list(merchant=request.merchant, promotion=promotion), CODES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "promotions/office/codes.html", {
        "promotion": promotion, "page_obj": page, "public_form": public_form or PublicCodeForm(),
        "batch_form": batch_form or CodeBatchForm(merchant=request.merchant), "section": "promotions",
    }, status=status)


@office
@require_GET
def code_list_view(request, code):
    promotion = _promotion_or_404(request, code)
    return _codes_page(request, promotion)


@office
@require_POST
def code_public_create(request, code):
    promotion = _promotion_or_404(request, code)
    form = PublicCodeForm(request.POST)
    if form.is_valid():
        data = {"code": form.cleaned_data["code"].strip(), "per_customer": form.cleaned_data["per_customer"],
                "uses": form.cleaned_data["uses"], "expires_at": moment_iso(form.cleaned_data["expires_at"], request.merchant)}
        try:
            row = code_create(promotion=promotion, data=data, actor=request.user)
        except SERVICE_ERRORS as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Code %(code)s created.") % {"code": row.code})
            return redirect("promotions_office:codes", code=promotion.code)
    return _codes_page(request, promotion, public_form=form, status=400)


@office
@require_POST
def code_batch_create_view(request, code):
    promotion = _promotion_or_404(request, code)
    form = CodeBatchForm(request.POST, merchant=request.merchant)
    if form.is_valid():
        data = {"prefix": form.cleaned_data["prefix"], "expires_at": moment_iso(form.cleaned_data["expires_at"], request.merchant)}
        if form.cleaned_data["customer_ids"]:
            data["customers"] = form.cleaned_data["customer_ids"]
        else:
            data["count"] = form.cleaned_data["count"]
        try:
            made = code_batch_create(promotion=promotion, data=data, actor=request.user)
        except SERVICE_ERRORS as error:
            _apply_errors(form, error, lambda key: key.split("[")[0])
        else:
            from django.utils.translation import ngettext

            messages.success(request, ngettext("%(n)d personal code made.", "%(n)d personal codes made.", made) % {"n": made})
            return redirect("promotions_office:codes", code=promotion.code)
    return _codes_page(request, promotion, batch_form=form, status=400)


class _Echo:
    def write(self, value):
        return value


@office
@require_GET
def code_csv(request, code):
    promotion = _promotion_or_404(request, code)
    zone = ZoneInfo(request.merchant.timezone)
    codes = selectors.code_list(merchant=request.merchant, promotion=promotion)
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for item in codes.iterator(chunk_size=2000):
            yield writer.writerow([
                item.code,
                str(item.customer_id) if item.customer_id else "",
                item.customer.phone if item.customer_id else "",
                item.used_at.astimezone(zone).isoformat() if item.used_at else "",
                item.receipt.number if item.receipt_id else "",
            ])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="codes-{promotion.code}.csv"'
    return response


# ---------- Gifts and offers on the customer page ----------

def customer_section_context(request, customer) -> dict:
    """What the promotions section of the office customer page shows (registered in PromotionsConfig.ready())."""
    merchant = request.merchant
    now = timezone.now()
    bound = getattr(request, "promotions_forms", {})
    return {
        "promo_gifts": list(selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=now)),
        "promo_offers": list(selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now)),
        "gift_form": bound.get("gift") or GiftForm(),
        "offer_form": bound.get("offer") or OfferForm(promotions=selectors.promotion_list(merchant=merchant, state="live", now=now)),
    }


def _customer_page_with(request, customer, **forms):
    """The office customer page again, with a bound form and its errors (400)."""
    from loyalty.office.views.main import AdjustForm, _customer_page

    request.promotions_forms = forms
    return _customer_page(request, customer, AdjustForm(), status=400)


@office
@require_POST
def gift_grant_view(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    form = GiftForm(request.POST)
    if form.is_valid():
        data = {"name": form.cleaned_data["name"], "sku": form.cleaned_data["sku"], "quantity": str(form.cleaned_data["quantity"]),
                "expires_at": moment_iso(form.cleaned_data["expires_at"], request.merchant)}
        try:
            gift = gift_grant(customer=customer, data=data, actor=request.user)
        except SERVICE_ERRORS as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Gift “%(name)s” granted.") % {"name": gift.name})
            return redirect("office:customer", customer_id=customer.pk)
    return _customer_page_with(request, customer, gift=form)


@office
@require_POST
def gift_withdraw_view(request, customer_id, gift_id):
    customer = _customer_or_404(request, customer_id)
    gift = selectors.gift_get(merchant=request.merchant, customer=customer, gift_id=gift_id)
    if gift is None:
        raise Http404
    try:
        gift_withdraw(gift=gift, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Gift “%(name)s” withdrawn.") % {"name": gift.name})
    return redirect("office:customer", customer_id=customer.pk)


@office
@require_POST
def offer_grant_view(request, customer_id):
    customer = _customer_or_404(request, customer_id)
    now = timezone.now()
    form = OfferForm(request.POST, promotions=selectors.promotion_list(merchant=request.merchant, state="live", now=now))
    if form.is_valid():
        data = {"promotion": form.cleaned_data["promotion"], "days": form.cleaned_data["days"], "uses": form.cleaned_data["uses"]}
        try:
            promotion, days, uses = offer_validate(customer=customer, data=data)
            offer_grant(customer=customer, promotion=promotion, days=days, uses=uses, actor=request.user)
        except SERVICE_ERRORS as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Offer “%(name)s” granted.") % {"name": promotion.name})
            return redirect("office:customer", customer_id=customer.pk)
    return _customer_page_with(request, customer, offer=form)


@office
@require_POST
def offer_withdraw_view(request, customer_id, offer_id):
    customer = _customer_or_404(request, customer_id)
    offer = selectors.offer_get(merchant=request.merchant, customer=customer, offer_id=offer_id)
    if offer is None:
        raise Http404
    try:
        offer_withdraw(offer=offer, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Offer “%(name)s” withdrawn.") % {"name": offer.promotion.name})
    return redirect("office:customer", customer_id=customer.pk)


# ---------- Live preview and back-test (htmx, from the editor) ----------

def _form_spec(request):
    """The editor's fields as a compiled promotion (or the form with its errors)."""
    from promotions.services.backtest import promotion_spec_build

    editing = selectors.promotion_get(merchant=request.merchant, code=request.GET.get("code", "")) if request.GET.get("code") else None
    form = _editor_form(request, data=request.POST, promotion=editing, initial={"code": editing.code} if editing else None)
    if not form.is_valid():
        return form, None, None
    data = form.api_dict()
    data["code"] = editing.code if editing else data["code"]
    try:
        spec = promotion_spec_build(merchant=request.merchant, promotion_dict=data)
    except SERVICE_ERRORS as error:
        _apply_errors(form, error, form.field_for_error)
        return form, None, None
    return form, spec, data


def _sample_lines(text: str):
    """"sku, category, quantity, price" per line → DraftLines, or (None, the bad line number)."""
    from decimal import Decimal, InvalidOperation

    from loyalty.checkout import DraftLine

    lines = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.split(",")]
        if len(parts) != 4 or not parts[0]:
            return None, number
        try:
            quantity, price = Decimal(parts[2]), Decimal(parts[3])
        except InvalidOperation:
            return None, number
        if quantity <= 0 or price < 0 or quantity > 100000 or price > Decimal("100000000"):
            return None, number
        lines.append(DraftLine(sku=parts[0][:64], category=parts[1][:100], quantity=quantity, price=price.quantize(Decimal("0.01"))))
        if len(lines) >= 50:
            break
    return lines, None


def _field_errors(form) -> list[str]:
    out = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        out.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return out


@office
@require_POST
def promotion_preview_view(request):
    """The sample receipt priced with the promotion being edited applied alone (nothing written)."""
    from django.utils.translation import get_language

    from promotions.services.backtest import promotion_preview

    lines, bad_line = _sample_lines(request.POST.get("sample_lines", ""))
    context = {"errors": [], "calc": None}
    if bad_line is not None:
        context["errors"] = [_("Line %(n)d: write sku, category, quantity, price — e.g. MILK-1, Dairy, 2, 89.90.") % {"n": bad_line}]
    elif not lines:
        context["errors"] = [_("Type a few sample lines to see the receipt priced.")]
    else:
        form, spec, _data = _form_spec(request)
        if spec is None:
            context["errors"] = _field_errors(form)
        else:
            try:
                calc = promotion_preview(merchant=request.merchant, spec=spec, lines=lines, now=timezone.now(), language=get_language())
            except ApplicationError as error:
                context["errors"] = [error.message]
            else:
                context["calc"] = calc
                context["entries"] = [entry for entry in calc.applied if entry.get("kind") == "promotion"]
                context["not_applied"] = calc.extras.get("not_applied", []) if hasattr(calc, "extras") else []
    return render(request, "promotions/office/_preview.html", context)


@office
@require_POST
def promotion_backtest_view(request):
    """"On the last 90 days this would have touched N receipts of M customers and cost X and P points"."""
    from django.utils.translation import ngettext

    from promotions.services.backtest import promotion_backtest

    context = {"errors": [], "result": None}
    try:
        days = int(request.POST.get("backtest_days") or 90)
    except ValueError:
        days = 0
    if not 1 <= days <= 3650:
        context["errors"] = [_("Days: a whole number from 1 to 3650.")]
    else:
        form, spec, data = _form_spec(request)
        if spec is None:
            context["errors"] = _field_errors(form)
        else:
            result = promotion_backtest(promotion_dict=data, merchant=request.merchant, days=days, now=timezone.now())
            from loyalty.templatetags.ui import money, points

            receipts = ngettext("%(n)s receipt", "%(n)s receipts", result["receipts"]) % {"n": points(result["receipts"])}
            customers = ngettext("%(n)s customer", "%(n)s customers", result["customers"]) % {"n": points(result["customers"])}
            point_text = ngettext("%(n)s point", "%(n)s points", result["extra_points"]) % {"n": points(result["extra_points"])}
            context["result"] = result
            context["sentence"] = ngettext(
                "On the last %(days)d day this would have touched %(receipts)s of %(customers)s and cost %(discount)s in discounts and %(points)s.",
                "On the last %(days)d days this would have touched %(receipts)s of %(customers)s and cost %(discount)s in discounts and %(points)s.",
                days) % {"days": days, "receipts": receipts, "customers": customers, "discount": money(result["discount"], request.merchant),
                         "points": point_text}
            context["revenue"] = money(result["revenue"], request.merchant)
    return render(request, "promotions/office/_backtest.html", context)

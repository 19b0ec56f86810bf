"""The marketer's referral screens: settings with a worked example recomputed as they type (htmx), invite links
(list sortable by conversion and cost per buyer, CSV/XLSX, create and edit, QR code, a printable A6 table tent) and
each link's report with its funnel. Owners and marketers only; every read and write scoped to the request's merchant."""
from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.errors import ApplicationError
from accounts.permissions import OFFICE_ROLES, staff_required
from loyalty.services import program_update
from referrals import exports
from referrals.office.forms_referrals import InviteLinkForm, ReferralSettingsForm, link_initial
from referrals.selectors.invite_links import invite_link_get, invite_link_report, invite_links_report
from referrals.services.invite_links import invite_link_create, invite_link_update
from referrals.services.referrals import referral_settings_read

office = staff_required(*OFFICE_ROLES)
HUNDRED = Decimal(100)
SORTS = {"conversion": lambda row: row.conversion, "cost_per_buyer": lambda row: row.cost_per_buyer if row.cost_per_buyer is not None else Decimal("Infinity"),
         "signups": lambda row: row.signups, "revenue": lambda row: row.revenue}
FIELD_OF = {"offers[0].promotion": "offer_promotion", "offers[0].days": "offer_days", "offers[0].uses": "offer_uses",
            "gifts[0].name": "gift_name", "gifts[0].sku": "gift_sku", "gifts[0].quantity": "gift_quantity"}


def _apply_errors(form, error) -> None:
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        found = error.message_dict
    elif isinstance(error, ApplicationError):
        found = {next(iter(error.fields), "__all__") if error.fields else "__all__": [error.message]}
    else:
        found = {"__all__": getattr(error, "messages", [str(error)])}
    for key, texts in found.items():
        key = key.removeprefix("referral.")
        key = FIELD_OF.get(key, key)
        for text in texts:
            form.add_error(key if key in form.fields else None, text)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def worked_example(*, program, values: dict) -> dict:
    """The worked example for the settings as typed: Artem joins with Alexander's code (Alexander was brought by
    Boris) and buys for 1,000.00. Values that do not parse count as zero."""
    def number(name) -> Decimal:
        try:
            value = Decimal(str(values.get(name) or "0").replace(",", "."))
            return value if value.is_finite() and 0 <= value <= 1_000_000 else Decimal(0)
        except (InvalidOperation, ValueError):
            return Decimal(0)

    paid = Decimal("1000.00")
    point_value = program.point_value
    welcome = int(number("referee_welcome_bonus")) if str(values.get("referee_welcome_bonus") or "").strip() else program.welcome_bonus
    base = _floor(paid * program.accrual_percent / HUNDRED / point_value)
    extra = _floor(paid * min(number("referee_extra_percent"), HUNDRED) / HUNDRED / point_value)
    bonus = int(number("referrer_bonus"))
    on_purchase = values.get("referrer_bonus_on") == "first_purchase"
    share = _floor(paid * min(number("referrer_percent"), HUNDRED) / HUNDRED / point_value)
    second = _floor(paid * min(number("second_level_percent"), HUNDRED) / HUNDRED / point_value)
    cap = int(number("monthly_cap")) if str(values.get("monthly_cap") or "").strip() else None
    alexander_join = 0 if on_purchase else bonus
    alexander_buy = share + (bonus if on_purchase else 0)
    if cap is not None:
        alexander_join = min(alexander_join, cap)
        alexander_buy = max(min(alexander_buy, cap - alexander_join), 0)
        second = min(second, cap)
    return {"welcome": welcome, "usual": program.welcome_bonus, "alexander_join": alexander_join, "base": base, "extra": extra,
            "artem_buy": base + extra, "alexander_buy": alexander_buy, "boris": second, "paid": paid, "cap": cap}


@office
def referral_settings(request):
    merchant = request.merchant
    if request.method == "POST":
        form = ReferralSettingsForm(request.POST)
        if form.is_valid():
            try:
                program_update(merchant=merchant, changes={"referral": form.as_changes()}, actor=request.user)
            except (DjangoValidationError, ApplicationError) as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Referral settings saved. They apply from the next join and receipt."))
                return redirect("referrals_office:settings")
        values = request.POST
    else:
        current = referral_settings_read(merchant=merchant)
        form = ReferralSettingsForm(initial=current)
        values = current
    return render(request, "referrals/office/settings.html", {
        "form": form, "example": worked_example(program=merchant.program, values=values), "section": "referrals",
    }, status=422 if form.errors else 200)


@office
@require_POST
def referral_example(request):
    """The worked example as an htmx fragment, recomputed from the form as typed (writes nothing)."""
    return render(request, "referrals/office/_example.html", {"example": worked_example(program=request.merchant.program, values=request.POST)})


def _dates(request) -> tuple[date | None, date | None]:
    out = []
    for name in ("from", "to"):
        try:
            out.append(date.fromisoformat(request.GET.get(name, "")) if request.GET.get(name) else None)
        except ValueError:
            out.append(None)
    return out[0], out[1]


@office
@require_GET
def invite_link_list(request):
    date_from, date_to = _dates(request)
    rows = invite_links_report(merchant=request.merchant, date_from=date_from, date_to=date_to)
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        data = [row.as_dict() for row in rows]
        if export == "csv":
            response = HttpResponse(exports.report_csv(data), content_type="text/csv; charset=utf-8")
        else:
            response = HttpResponse(exports.report_xlsx(data), content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="invite-links.{export}"'
        return response
    sort = request.GET.get("sort", "")
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"))
    if key is not None:
        rows = sorted(rows, key=key, reverse=descending)
    return render(request, "referrals/office/links.html", {
        "rows": rows, "sort": sort, "date_from": date_from, "date_to": date_to, "section": "referrals",
        "query": request.GET.urlencode(),
    })


def _link_or_404(request, code):
    link = invite_link_get(merchant=request.merchant, code=code)
    if link is None:
        raise Http404
    return link


@office
def invite_link_edit(request, code=None):
    link = _link_or_404(request, code) if code else None
    editing = link is not None
    if request.method == "POST":
        form = InviteLinkForm(request.POST, editing=editing, initial=link_initial(link) if editing else None)
        if form.is_valid():
            try:
                if editing:
                    link = invite_link_update(link=link, data=form.as_data(editing=True), actor=request.user)
                else:
                    link = invite_link_create(merchant=request.merchant, data=form.as_data(editing=False), actor=request.user)
            except (DjangoValidationError, ApplicationError) as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Invite link “%(name)s” saved.") % {"name": link.name})
                return redirect("referrals_office:link", code=link.code)
    else:
        form = InviteLinkForm(initial=link_initial(link) if editing else {"active": True}, editing=editing)
    return render(request, "referrals/office/link_edit.html", {
        "form": form, "link": link, "url": _join_url(request, link) if link else "", "section": "referrals",
    }, status=422 if form.errors else 200)


def _join_url(request, link) -> str:
    from referrals.api.views_invite_links import invite_link_url

    return invite_link_url(request, link)


@office
@require_GET
def invite_link_qr(request, code):
    from referrals.api.views_invite_links import qr_svg

    link = _link_or_404(request, code)
    svg = qr_svg(_join_url(request, link))
    response = HttpResponse(svg, content_type="image/svg+xml")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="invite-{link.code}.svg"'
    return response


@office
@require_GET
def invite_link_tent(request, code):
    """A printable A6 table tent: the QR code, the welcome bonus and what else a sign-up gets."""
    from django.utils.safestring import mark_safe

    from referrals.api.views_invite_links import qr_svg

    link = _link_or_404(request, code)
    url = _join_url(request, link)
    welcome = link.welcome_bonus if link.welcome_bonus is not None else request.merchant.program.welcome_bonus
    return render(request, "referrals/office/tent.html", {"link": link, "url": url, "qr_svg": mark_safe(qr_svg(url)), "welcome": welcome,
                                                          "merchant": request.merchant})


def funnel_bars(report) -> list[dict]:
    """Bars of the funnel chart (server-rendered SVG): sign-ups, buyers, purchases, widths relative to the largest."""
    steps = [(_("Sign-ups"), report.signups), (_("Buyers"), report.buyers), (_("Purchases"), report.purchases)]
    top = max([value for _label, value in steps] + [1])
    return [{"label": label, "value": value, "width": max(round(560 * value / top), 2), "y": 10 + index * 56} for index, (label, value) in enumerate(steps)]


@office
@require_GET
def invite_link_report_view(request, code):
    link = _link_or_404(request, code)
    date_from, date_to = _dates(request)
    report = invite_link_report(merchant=request.merchant, link=link, date_from=date_from, date_to=date_to)
    return render(request, "referrals/office/report.html", {
        "link": link, "report": report, "bars": funnel_bars(report), "date_from": date_from, "date_to": date_to, "section": "referrals",
        "api_report": reverse("api-invite-link-report", kwargs={"code": link.code}),
    })

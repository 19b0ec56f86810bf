"""The back-office Reports screens: economics, customers, cohorts, promotions, invite links, campaigns, funds and NPS. Owners and marketers only;
each page parses the period and store, calls one report and renders it, or sends it as CSV/XLSX."""
from __future__ import annotations

from collections import OrderedDict
from datetime import date

from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import selectors as account_selectors
from accounts.errors import ValidationError
from accounts.permissions import OFFICE_ROLES, staff_required
from analytics import app_reports, reports, tables
from analytics.charts import bar_chart, line_chart
from analytics.exports import table_response
from analytics.periods import period_parse
from loyalty.models import EntryKind

office = staff_required(*OFFICE_ROLES)
COLORS = {"accrued": "#2563eb", "redeemed": "#16a34a", "expired": "#dc2626", "liability": "#7c3aed"}


def _page(request, *, name: str, build, table, template: str, extra=None, by_store: bool = True):
    merchant = request.merchant
    stores = account_selectors.store_list(merchant=merchant)
    context = {"section": "reports", "report_name": name, "stores": stores, "params": request.GET, "by_store": by_store}
    try:
        period = period_parse(merchant=merchant, params=request.GET)
    except ValidationError as error:
        context["errors"] = error.message_dict
        return render(request, template, context, status=400)
    data = build(period)
    export = request.GET.get("format")
    if export in ("csv", "xlsx"):
        return table_response(table(data), export)
    context.update({"period": period, "report": data})
    if extra:
        context.update(extra(period, data))
    return render(request, template, context)


def _buckets(series: list[dict]) -> tuple[list[str], list[dict]]:
    """Per day up to 62 days, else per month: flows summed, liability at the bucket's end. Labels in the reader's language."""
    if len(series) <= 62:
        return [date_format(date.fromisoformat(item["day"]), "j M") for item in series], series
    months: OrderedDict = OrderedDict()
    for item in series:
        key = item["day"][:7]
        bucket = months.setdefault(key, {"accrued": 0, "redeemed": 0, "expired": 0, "liability": 0})
        for name in ("accrued", "redeemed", "expired"):
            bucket[name] += item[name]
        bucket["liability"] = item["liability"]
    return [date_format(date.fromisoformat(key + "-01"), "M Y") for key in months], list(months.values())


def _economics_extra(period, data):
    labels, buckets = _buckets(data["series"])
    flows = bar_chart(labels=labels, series=[
        {"name": _("Accrued"), "values": [b["accrued"] for b in buckets], "color": COLORS["accrued"]},
        {"name": _("Redeemed"), "values": [b["redeemed"] for b in buckets], "color": COLORS["redeemed"]},
        {"name": _("Expired"), "values": [b["expired"] for b in buckets], "color": COLORS["expired"]},
    ])
    liability = line_chart(labels=labels, series=[
        {"name": _("Liability"), "values": [b["liability"] for b in buckets], "color": COLORS["liability"]}])
    discount_total = sum(float(v) for v in data["discounts"].values())
    return {"flows_chart": flows, "liability_chart": liability, "discount_total": discount_total,
            "by_kind": [(_kind_label(kind), value) for kind, value in data["points"]["by_kind"].items()],
            "other_debits": [(_kind_label(kind), value) for kind, value in data["points"]["other_debits"].items()]}


def _kind_label(kind: str) -> str:
    try:
        return str(EntryKind(kind).label)
    except ValueError:
        return kind


@office
def economics_view(request):
    return _page(request, name="economics", build=lambda period: reports.economics_report(period, series=True),
                 table=tables.economics_table, template="analytics/office/economics.html", extra=_economics_extra)


@office
def customers_view(request):
    return _page(request, name="customers", build=reports.customers_report, table=tables.customers_table,
                 template="analytics/office/customers.html")


def _cohort_extra(period, data):
    width = max((len(cohort["retention"]) for cohort in data["cohorts"]), default=0)
    rows = []
    for cohort in data["cohorts"]:
        cells = []
        for cell in cohort["retention"]:
            level = min(int(float(cell["share"]) * 10), 10)
            cells.append({**cell, "level": level, "percent": float(cell["share"]) * 100})
        rows.append({"month": date.fromisoformat(cohort["month"] + "-01"), "members": cohort["members"], "cells": cells,
                     "blank": range(width - len(cells))})
    return {"heat_rows": rows, "offsets": range(width)}


@office
def cohorts_view(request):
    return _page(request, name="cohorts", build=reports.cohorts_report, table=tables.cohorts_table,
                 template="analytics/office/cohorts.html", extra=_cohort_extra)


@office
def promotions_view(request):
    return _page(request, name="promotions", build=reports.promotions_report, table=tables.promotions_table,
                 template="analytics/office/promotions.html")


LINK_COLORS = {"signups": "#94a3b8", "buyers": "#2563eb"}
NPS_COLORS = {"promoters": "#16a34a", "passives": "#eab308", "detractors": "#dc2626"}


def _invite_links_extra(period, data):
    links = [row for row in data["links"] if row["signups"]]
    if not links:
        return {}
    chart = bar_chart(labels=[row["code"] for row in links], series=[
        {"name": _("Sign-ups"), "values": [row["signups"] for row in links], "color": LINK_COLORS["signups"]},
        {"name": _("Buyers"), "values": [row["buyers"] for row in links], "color": LINK_COLORS["buyers"]},
    ])
    return {"links_chart": chart}


@office
def invite_links_view(request):
    return _page(request, name="invite_links", build=app_reports.invite_links_report, table=tables.invite_links_table,
                 template="analytics/office/invite_links.html", extra=_invite_links_extra, by_store=False)


def _campaigns_extra(period, data):
    rows = data["campaigns"]
    if not any(float(row["revenue_per_customer"][side]) for row in rows for side in ("mailed", "control")):
        return {"days": app_reports.CAMPAIGN_DAYS}
    chart = bar_chart(labels=[row["code"] for row in rows], series=[
        {"name": _("Mailed"), "values": [float(row["revenue_per_customer"]["mailed"]) for row in rows], "color": "#2563eb"},
        {"name": _("Control group"), "values": [float(row["revenue_per_customer"]["control"]) for row in rows], "color": "#94a3b8"},
    ])
    return {"campaigns_chart": chart, "days": app_reports.CAMPAIGN_DAYS}


@office
def campaigns_view(request):
    return _page(request, name="campaigns", build=app_reports.campaigns_report, table=tables.campaigns_table,
                 template="analytics/office/campaigns.html", extra=_campaigns_extra, by_store=False)


def _funds_extra(period, data):
    rows = [row for row in data["funds"] if row["points"]]
    if not rows:
        return {}
    chart = bar_chart(labels=[row["name"] for row in rows], series=[
        {"name": _("Points donated"), "values": [row["points"] for row in rows], "color": "#7c3aed"}])
    return {"funds_chart": chart}


@office
def funds_view(request):
    return _page(request, name="funds", build=app_reports.funds_report, table=tables.funds_table,
                 template="analytics/office/funds.html", extra=_funds_extra, by_store=False)


def _nps_extra(period, data):
    responses = data["responses"]
    if not responses:
        return {}
    parts, x = [], 0.0
    for name, label in (("promoters", _("Promoters")), ("passives", _("Passives")), ("detractors", _("Detractors"))):
        width = 100.0 * data[name] / responses
        parts.append({"name": name, "label": label, "count": data[name], "x": round(x, 2), "w": round(width, 2),
                      "percent": round(width), "color": NPS_COLORS[name]})
        x += width
    return {"nps_split": parts}


@office
def nps_view(request):
    return _page(request, name="nps", build=app_reports.nps_report, table=tables.nps_table,
                 template="analytics/office/nps.html", extra=_nps_extra, by_store=False)

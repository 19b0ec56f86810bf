"""The invite-link API (admin scope): links, their QR codes and the per-link report. Views parse, call one
service or selector, render."""
from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import segno
from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from accounts.inputs import DATE_MAX, DATE_MIN
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import data_object, merchant_of
from referrals import exports
from referrals.api import serializers_invite_links as s
from referrals.selectors.invite_links import invite_link_get, invite_link_list, invite_link_report, invite_links_report
from referrals.services.invite_links import invite_link_create, invite_link_update

READ_ERRORS = {404: ErrorSerializer}
ERRORS = {404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer}
LINK_CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_-]+$"},
                             OpenApiParameter.PATH, description="The link's code")
DATE_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="Sign-ups from this date (merchant's timezone), inclusive"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Sign-ups up to this date, inclusive"),
    OpenApiParameter("format", {"type": "string", "enum": ["json", "csv", "xlsx"]}, description="json (default), csv or xlsx"),
]
LINK_EXAMPLE = {
    "code": "fitmaster", "name": "FitMaster table tent", "channel": "partner", "welcome_bonus": None,
    "offers": [{"promotion": "membership-20", "days": 30, "uses": 1}], "gifts": [{"name": "3 free sessions", "sku": "SESSION", "quantity": "3"}],
    "cost": "15000.00", "active": True, "created_at": "2026-11-23T10:00:00+03:00",
    "url": "https://example.com/my/fit/join/?invite=fitmaster", "qr": "<svg ...>",
}
REPORT_EXAMPLE = {"code": "youtube", "name": "YouTube review", "channel": "ads", "signups": 2018, "buyers": 8, "purchases": 8,
                  "revenue": "28448.00", "average_check": "3556.00", "conversion": "0.0040", "cost": "50000.00", "cost_per_buyer": "6250.00"}


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """`?format=` names the export format here (csv, xlsx), not a renderer: negotiation always answers JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def invite_link_url(request, link) -> str:
    """The portal join address of a link, absolute."""
    path = reverse("portal:join", kwargs={"merchant_slug": link.merchant.slug})
    return request.build_absolute_uri(f"{path}?invite={link.code}")


def qr_svg(url: str) -> str:
    return segno.make_qr(url, error="m").svg_inline(scale=4, border=2, omitsize=True)


def link_payload(request, link, *, with_qr: bool = True) -> dict:
    zone = ZoneInfo(link.merchant.timezone)
    url = invite_link_url(request, link)
    return {
        "code": link.code, "name": link.name, "channel": link.channel, "welcome_bonus": link.welcome_bonus,
        "offers": link.offers, "gifts": link.gifts, "cost": str(link.cost) if link.cost is not None else None,
        "active": link.active, "created_at": link.created_at.astimezone(zone).isoformat(),
        "url": url, "qr": qr_svg(url) if with_qr else "",
    }


def link_or_404(request, code):
    link = invite_link_get(merchant=merchant_of(request), code=code)
    if link is None:
        raise NotFound("No invite link with this code.", code="invite_link_not_found")
    return link


def _date(value, *, field: str, errors: dict) -> date | None:
    if value is None:
        return None
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None or not DATE_MIN <= parsed <= DATE_MAX:
        errors[field] = ["Send a date as YYYY-MM-DD."]
        return None
    return parsed


def report_params(request) -> tuple[date | None, date | None, str]:
    """Raises: ValidationError naming the bad parameter."""
    errors: dict = {}
    date_from = _date(request.query_params.get("from"), field="from", errors=errors)
    date_to = _date(request.query_params.get("to"), field="to", errors=errors)
    export = request.query_params.get("format", "json")
    if export not in ("json", "csv", "xlsx"):
        errors["format"] = ["Use json, csv or xlsx."]
    if date_from and date_to and date_from > date_to:
        errors["to"] = ["The end date is before the start date."]
    if errors:
        raise ValidationError(errors)
    return date_from, date_to, export


def report_response(rows: list[dict], *, export: str, filename: str, single: bool):
    if export == "csv":
        response = HttpResponse(exports.report_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    if export == "xlsx":
        response = HttpResponse(exports.report_xlsx(rows), content_type=exports.XLSX_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
        return response
    return Response(rows[0] if single else {"results": rows})


class InviteLinkListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.InviteLinkListSerializer},
                   examples=[OpenApiExample("Links", value={"results": [LINK_EXAMPLE]}, response_only=True)])
    def get(self, request):
        links = invite_link_list(merchant=merchant_of(request)).select_related("merchant")
        return Response({"results": [link_payload(request, link) for link in links]})

    @extend_schema(request=s.InviteLinkWriteSerializer, responses={201: s.InviteLinkSerializer, **ERRORS},
                   examples=[OpenApiExample("Table tent", value={key: value for key, value in LINK_EXAMPLE.items()
                                                                 if key not in ("url", "qr", "created_at")}, request_only=True),
                             OpenApiExample("Created", value=LINK_EXAMPLE, response_only=True, status_codes=["201"])])
    def post(self, request):
        link = invite_link_create(merchant=merchant_of(request), data=data_object(request))
        return Response(link_payload(request, link), status=201)


class InviteLinkDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[LINK_CODE], responses={200: s.InviteLinkSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Link", value=LINK_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(link_payload(request, link_or_404(request, code)))

    @extend_schema(parameters=[LINK_CODE], request=s.InviteLinkPatchSerializer, responses={200: s.InviteLinkSerializer, **ERRORS},
                   examples=[OpenApiExample("Switch off", value={"active": False}, request_only=True)])
    def patch(self, request, code):
        link = invite_link_update(link=link_or_404(request, code), data=data_object(request))
        return Response(link_payload(request, link))


REPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A header row, then one row per link"),
    (200, exports.XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="One sheet, header row frozen"),
}


class InviteLinkReportApi(APIView):
    permission_classes = [HasAdminScope]
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(parameters=[LINK_CODE, *DATE_PARAMS],
                   responses={(200, "application/json"): s.LinkReportSerializer, **REPORT_RESPONSES, **READ_ERRORS},
                   examples=[OpenApiExample("YouTube", value=REPORT_EXAMPLE, response_only=True)])
    def get(self, request, code):
        link = link_or_404(request, code)
        date_from, date_to, export = report_params(request)
        report = invite_link_report(merchant=merchant_of(request), link=link, date_from=date_from, date_to=date_to)
        return report_response([report.as_dict()], export=export, filename=f"invite-link-{link.code}", single=True)


class InviteLinksReportApi(APIView):
    permission_classes = [HasAdminScope]
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(parameters=DATE_PARAMS,
                   responses={(200, "application/json"): s.LinkReportListSerializer, **REPORT_RESPONSES},
                   examples=[OpenApiExample("Links", value={"results": [REPORT_EXAMPLE]}, response_only=True)])
    def get(self, request):
        date_from, date_to, export = report_params(request)
        rows = [row.as_dict() for row in invite_links_report(merchant=merchant_of(request), date_from=date_from, date_to=date_to)]
        return report_response(rows, export=export, filename="invite-links", single=False)

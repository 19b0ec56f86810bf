"""The reports API ("Reports and data"), admin scope. Each view parses the period, calls one report, renders JSON or a file."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import ValidationError
from analytics import reports, tables
from analytics.api import serializers as s
from analytics.exports import FORMATS, XLSX_TYPE, table_response
from analytics.periods import period_parse
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import merchant_of

PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day, the merchant's date (default: 29 days before `to`)"),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day, inclusive (default: today)"),
    OpenApiParameter("store", {"type": "string", "maxLength": 50}, description="A store code: only that store's figures"),
    OpenApiParameter("format", {"type": "string", "enum": list(FORMATS)}, description="json (default), csv or xlsx"),
]
FILES = {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The report as CSV"),
         (200, XLSX_TYPE): OpenApiResponse(OpenApiTypes.BINARY, description="The report as an Excel workbook")}
PERIOD = {"from": "2026-11-01", "to": "2026-11-30", "store": None}


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """`?format=` names the export (csv, xlsx) here, not a renderer: negotiation always answers JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportApi(APIView):
    permission_classes = [HasAdminScope]
    content_negotiation_class = JsonOnlyNegotiation
    report = None
    table = None

    def get(self, request):
        export = request.query_params.get("format", "json")
        if export not in FORMATS:
            raise ValidationError({"format": ["Use json, csv or xlsx."]})
        period = period_parse(merchant=merchant_of(request), params=request.query_params)
        data = self.build(period, request)
        if export == "json":
            return Response(data)
        return table_response(type(self).table(data), export)

    def build(self, period, request):
        return type(self).report(period)


def _schema(serializer, example: dict, extra: list | None = None):
    return extend_schema(parameters=PARAMETERS + (extra or []),
                         responses={(200, "application/json"): serializer, **FILES, 404: ErrorSerializer},
                         examples=[OpenApiExample("Report", value=example, response_only=True)])


ECONOMICS_EXAMPLE = {
    **PERIOD, "revenue": "152300.00", "receipts": 812,
    "points": {"accrued": 7900, "by_kind": {"accrual": 7300, "welcome": 600}, "redeemed": 3950, "expired": 120, "donated": 0,
               "reversed": 40, "returned": 10, "other_debits": {}, "net_change": 3800},
    "liability": {"points": 41200, "amount": "41200.00"}, "redemption_rate": "0.5000", "effective_discount_percent": "3.41",
    "discounts": {"tier": "250.00", "promotions": "980.00", "agents": "0.00", "gifts": "0.00"}, "point_value": "1.00",
}


class EconomicsReportApi(ReportApi):
    report = staticmethod(reports.economics_report)
    table = staticmethod(tables.economics_table)

    @_schema(s.EconomicsSerializer, ECONOMICS_EXAMPLE,
             [OpenApiParameter("series", {"type": "string", "enum": ["0", "1"]}, description="1: add the per-day series (JSON only)")])
    def get(self, request):
        return super().get(request)

    def build(self, period, request):
        return reports.economics_report(period, series=request.query_params.get("series") == "1")


class CustomersReportApi(ReportApi):
    report = staticmethod(reports.customers_report)
    table = staticmethod(tables.customers_table)

    @_schema(s.CustomersSerializer, {
        **PERIOD, "members": 5120, "new_members": 210, "buyers": 1400, "repeat_buyers": 380, "previous_buyers": 1350,
        "returning_buyers": 540, "purchases": 1900, "crr": "0.4000", "repeat_rate": "0.2714", "frequency": "1.3571",
        "average_check": {"members": "210.40", "anonymous": "160.10"}, "clv": "3150.00"})
    def get(self, request):
        return super().get(request)


class CohortsReportApi(ReportApi):
    report = staticmethod(reports.cohorts_report)
    table = staticmethod(tables.cohorts_table)

    @_schema(s.CohortsSerializer, {**PERIOD, "cohorts": [{"month": "2026-11", "members": 40, "retention": [
        {"month": "2026-11", "offset": 0, "buyers": 30, "share": "0.7500"}]}]})
    def get(self, request):
        return super().get(request)


class PromotionsReportApi(ReportApi):
    report = staticmethod(reports.promotions_report)
    table = staticmethod(tables.promotions_table)

    @_schema(s.PromotionsSerializer, {**PERIOD, "promotions": [
        {"code": "milk-yellow", "name": "Milk -25%", "receipts": 120, "customers": 80, "discount": "2700.00", "points": 0,
         "revenue": "18400.00"}]})
    def get(self, request):
        return super().get(request)

"""The promotions API (API.md "Promotions"), admin scope. Each view parses, calls one service or selector, renders."""
import csv
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import customer_or_404, data_object, merchant_of
from loyalty.money import quantity_text
from promotions import selectors, services
from promotions.api import serializers as s

READ_ERRORS = {404: ErrorSerializer}
ERRORS = {404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer}
PROMOTION_CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_-]+$"},
                                  OpenApiParameter.PATH, description="The promotion's code")
CUSTOMER_ID = OpenApiParameter("customer_id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH, description="The customer's id")
CSV_COLUMNS = ("code", "customer", "phone", "used_at", "receipt")

PROMOTION_EXAMPLE = {
    "code": "milk-yellow", "name": "Milk -25%", "description": "", "active": True, "priority": 0, "exclusive": False,
    "starts_at": None, "ends_at": None, "weekly": [],
    "audience": {"tiers": [], "segments": [], "customers": [], "offer_only": False},
    "conditions": {"min_subtotal": None, "skus": [], "categories": [], "min_quantity": None, "previous_purchase_min": None,
                   "first_purchase": False, "every_nth": None, "code_required": False},
    "target": {"skus": ["MILK-1"], "categories": []},
    "effects": [{"type": "percent_off", "value": "25.00"}],
    "block_accrual": True, "block_redemption": True,
    "limits": {"per_customer": None, "total_uses": None, "budget_amount": None, "budget_points": None},
    "uses": 0, "spent_amount": "0.00", "spent_points": 0,
}


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """`?format=` names the export format here (csv), not a renderer: negotiation always answers JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def promotion_or_404(request, code: str):
    promotion = selectors.promotion_get(merchant=merchant_of(request), code=code)
    if promotion is None:
        raise NotFound("No promotion with this code.", code="promotion_not_found")
    return promotion


class PromotionListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(
        parameters=[OpenApiParameter("state", {"type": "string", "enum": list(selectors.STATES)},
                                     description="live, scheduled or ended (as of now); all when absent")],
        responses={200: s.PromotionSerializer(many=True)},
        examples=[OpenApiExample("Promotions", value=PROMOTION_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        state = request.query_params.get("state")
        if state is not None and state not in selectors.STATES:
            raise ValidationError({"state": ["Use live, scheduled or ended."]})
        promotions = selectors.promotion_list(merchant=merchant_of(request), state=state, now=timezone.now())
        return Response([services.promotion_as_dict(promotion) for promotion in promotions])

    @extend_schema(
        request=s.PromotionInputSerializer, responses={201: s.PromotionSerializer, **ERRORS},
        examples=[OpenApiExample("Yellow price tag", request_only=True, value={
            "code": "milk-yellow", "name": "Milk -25%", "target": {"skus": ["MILK-1"]},
            "effects": [{"type": "percent_off", "value": "25"}], "block_accrual": True, "block_redemption": True})],
    )
    def post(self, request):
        promotion = services.promotion_create(merchant=merchant_of(request), data=data_object(request))
        return Response(services.promotion_as_dict(promotion), status=201)


class PromotionDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[PROMOTION_CODE], responses={200: s.PromotionSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Promotion", value=PROMOTION_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(services.promotion_as_dict(promotion_or_404(request, code)))

    @extend_schema(parameters=[PROMOTION_CODE], request=s.PromotionPatchSerializer, responses={200: s.PromotionSerializer, **ERRORS},
                   examples=[OpenApiExample("End it", value={"active": False}, request_only=True)])
    def patch(self, request, code):
        promotion = services.promotion_update(promotion=promotion_or_404(request, code), data=data_object(request))
        return Response(services.promotion_as_dict(promotion))

    @extend_schema(parameters=[PROMOTION_CODE], responses={204: None, **ERRORS},
                   description="409 `promotion_in_use` when a receipt used it (end it with `active: false`) or another promotion unlocks it.")
    def delete(self, request, code):
        services.promotion_delete(promotion=promotion_or_404(request, code))
        return Response(status=204)


class CodePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def code_payload(code, *, zone: ZoneInfo) -> dict:
    return {
        "code": code.code,
        "kind": code.kind,
        "customer": str(code.customer_id) if code.customer_id else None,
        "phone": code.customer.phone if code.customer_id else None,
        "per_customer": code.per_customer,
        "uses": code.max_uses,
        "used_count": code.used_count,
        "expires_at": code.expires_at.astimezone(zone).isoformat() if code.expires_at else None,
        "used_at": code.used_at.astimezone(zone).isoformat() if code.used_at else None,
        "receipt": str(code.receipt_id) if code.receipt_id else None,
    }


class _Echo:
    def write(self, value):
        return value


class PromotionCodesApi(APIView):
    permission_classes = [HasAdminScope]
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        parameters=[PROMOTION_CODE], request=s.CodeCreateSerializer, responses={201: s.CreatedSerializer, **ERRORS},
        examples=[OpenApiExample("Public code", value={"code": "SPRING30", "per_customer": 1, "uses": None, "expires_at": None}, request_only=True),
                  OpenApiExample("Personal batch", value={"count": 1000, "prefix": "PET-", "expires_at": "2027-01-31T23:59:59+03:00"},
                                 request_only=True),
                  OpenApiExample("Created", value={"created": 1000}, response_only=True, status_codes=["201"])],
    )
    def post(self, request, code):
        promotion = promotion_or_404(request, code)
        created = services.codes_create(promotion=promotion, data=data_object(request))
        return Response({"created": created}, status=201)

    @extend_schema(
        parameters=[PROMOTION_CODE,
                    OpenApiParameter("format", {"type": "string", "enum": ["json", "csv"]},
                                     description="csv: every code as code,customer,phone,used_at,receipt (not paginated)"),
                    OpenApiParameter("page", int, description="Page number, from 1 (404 past the last page)"),
                    OpenApiParameter("page_size", int, description="Codes per page, 50 by default, at most 500")],
        responses={(200, "application/json"): s.PaginatedCodeSerializer,
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="code,customer,phone,used_at,receipt"),
                   **READ_ERRORS},
    )
    def get(self, request, code):
        merchant = merchant_of(request)
        promotion = promotion_or_404(request, code)
        export = request.query_params.get("format", "json")
        if export not in ("json", "csv"):
            raise ValidationError({"format": ["Use json or csv."]})
        zone = ZoneInfo(merchant.timezone)
        codes = selectors.code_list(merchant=merchant, promotion=promotion)
        if export == "csv":
            writer = csv.writer(_Echo())

            def rows():
                yield writer.writerow(CSV_COLUMNS)
                for item in codes.iterator(chunk_size=2000):
                    payload = code_payload(item, zone=zone)
                    yield writer.writerow([payload[column] or "" for column in CSV_COLUMNS])

            response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="codes-{promotion.code}.csv"'
            return response
        paginator = CodePagination()
        page = paginator.paginate_queryset(codes, request, view=self)
        return paginator.get_paginated_response([code_payload(item, zone=zone) for item in page])


def offer_payload(offer, *, zone: ZoneInfo) -> dict:
    return {"id": offer.pk, "promotion": offer.promotion.code, "name": offer.promotion.name,
            "ends_at": offer.ends_at.astimezone(zone).isoformat() if offer.ends_at else None, "uses_left": offer.uses_left}


def gift_payload(gift, *, zone: ZoneInfo) -> dict:
    return {"id": gift.pk, "name": gift.name, "sku": gift.sku, "quantity": quantity_text(gift.quantity),
            "expires_at": gift.expires_at.astimezone(zone).isoformat() if gift.expires_at else None,
            "status": gift.status, "receipt": str(gift.receipt_id) if gift.receipt_id else None}


class CustomerOffersApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CUSTOMER_ID], responses={200: s.OfferSerializer(many=True), **READ_ERRORS})
    def get(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        zone = ZoneInfo(merchant.timezone)
        offers = selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=timezone.now())
        return Response([offer_payload(offer, zone=zone) for offer in offers])

    @extend_schema(
        parameters=[CUSTOMER_ID], request=s.OfferCreateSerializer, responses={201: s.OfferSerializer, **ERRORS},
        examples=[OpenApiExample("A week, one receipt", value={"promotion": "plants-20", "days": 7, "uses": 1}, request_only=True)],
    )
    def post(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        promotion, days, uses = services.offer_validate(customer=customer, data=data_object(request))
        offer = services.offer_grant(customer=customer, promotion=promotion, days=days, uses=uses)
        return Response(offer_payload(offer, zone=ZoneInfo(merchant.timezone)), status=201)


class CustomerOfferDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CUSTOMER_ID, OpenApiParameter("offer_id", int, OpenApiParameter.PATH)], responses={204: None, **ERRORS},
                   description="Withdraw a live personal offer.")
    def delete(self, request, customer_id, offer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        offer = selectors.offer_get(merchant=merchant, customer=customer, offer_id=offer_id)
        if offer is None:
            raise NotFound("No offer with this id.", code="offer_not_found")
        services.offer_withdraw(offer=offer)
        return Response(status=204)


class CustomerGiftsApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CUSTOMER_ID], responses={200: s.GiftSerializer(many=True), **READ_ERRORS})
    def get(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        zone = ZoneInfo(merchant.timezone)
        gifts = selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=timezone.now())
        return Response([gift_payload(gift, zone=zone) for gift in gifts])

    @extend_schema(
        parameters=[CUSTOMER_ID], request=s.GiftCreateSerializer, responses={201: s.GiftSerializer, **ERRORS},
        examples=[OpenApiExample("Cat food", value={"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5", "expires_at": None},
                                 request_only=True)],
    )
    def post(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        gift = services.gift_grant(customer=customer, data=data_object(request))
        return Response(gift_payload(gift, zone=ZoneInfo(merchant.timezone)), status=201)


class CustomerGiftDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CUSTOMER_ID, OpenApiParameter("gift_id", int, OpenApiParameter.PATH)], responses={204: None, **ERRORS},
                   description="Withdraw an open gift; 409 `gift_used` when it was already given.")
    def delete(self, request, customer_id, gift_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        gift = selectors.gift_get(merchant=merchant, customer=customer, gift_id=gift_id)
        if gift is None:
            raise NotFound("No gift with this id.", code="gift_not_found")
        services.gift_withdraw(gift=gift)
        return Response(status=204)


class PromotionBacktestApi(APIView):
    """What the promotion would have done to the last `days` days of committed receipts (writes nothing)."""

    permission_classes = [HasAdminScope]

    @extend_schema(
        parameters=[PROMOTION_CODE],
        request=inline_serializer("BacktestRequest", fields={"days": drf_serializers.IntegerField(min_value=1, max_value=3650, default=90)}),
        responses={200: inline_serializer("Backtest", fields={
            "from": drf_serializers.DateTimeField(), "to": drf_serializers.DateTimeField(),
            "receipts": drf_serializers.IntegerField(), "customers": drf_serializers.IntegerField(),
            "discount": drf_serializers.DecimalField(max_digits=14, decimal_places=2), "extra_points": drf_serializers.IntegerField(),
            "revenue": drf_serializers.DecimalField(max_digits=14, decimal_places=2)}), **ERRORS},
        examples=[OpenApiExample("Last 90 days", value={"days": 90}, request_only=True)],
    )
    def post(self, request, code):
        from promotions.services.backtest import promotion_backtest

        promotion = promotion_or_404(request, code)
        data = data_object(request)
        unknown = [key for key in data if key != "days"]
        if unknown:
            raise ValidationError({str(key): ["Unknown field."] for key in unknown})
        return Response(promotion_backtest(promotion_dict=services.promotion_as_dict(promotion), merchant=merchant_of(request),
                                           days=data.get("days", 90), now=timezone.now()))

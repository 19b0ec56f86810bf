"""The POS and program API (docs/api.md). Each view parses, calls one service or selector, renders."""
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from accounts.models import ApiScope, Customer, Merchant, Store
from accounts.selectors import customer_get, customer_lookup, store_get
from loyalty import selectors, services
from loyalty.api import serializers as s
from loyalty.api.auth import HasAdminScope, default_store
from loyalty.services.idempotency import idempotent_call
from loyalty.drafts import draft_parse
from loyalty.extensions import customer_fields, customer_read_extras, program_sections
from loyalty.money import quantity_text
from loyalty.money import money_quantize
from loyalty.services import tiers as tier_services
from loyalty.services.program import PROGRAM_FIELDS, PROGRAM_MONEY_FIELDS
from loyalty.texts import applied_render, entry_text

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"\S"}, OpenApiParameter.HEADER, required=False,
    description="Up to 255 characters. The same key and body replays the first response; another body is 409.",
)
# Each operation lists the errors it can answer; 400, 401, 403, 500 (and 411, 413, 415 for a body) are
# added to every operation by loyalty.api.schema.common_errors_hook.
READ_ERRORS = {404: s.ErrorSerializer}
ERRORS = {404: s.ErrorSerializer, 409: s.ErrorSerializer, 422: s.ErrorSerializer}
TIER_CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 32, "pattern": r"^[\w-]+$"}, OpenApiParameter.PATH,
                             description="The tier's code")

CUSTOMER_EXAMPLE = {
    "id": "5f0c6f9e-2f7a-4d8e-9d1c-0c8b7a6e5d4c", "phone": "+79991234567", "name": "Artem", "email": "a@example.com",
    "birthday": "1990-05-01", "gender": "m", "card_number": "2712345678906", "referral_code": "482913",
    "created_at": "2026-11-23T10:00:00+03:00", "tier": {"code": "bronze", "name": "Bronze"},
    "tier_progress": {"next": {"code": "gold", "name": "Gold"}, "remaining": {"total_spend": "3400.00"}, "nearest": "total_spend", "progress": 0.66},
    "balance": {"available": 300, "pending": 0},
    "expiring": [{"points": 300, "on": "2026-12-07"}],
}
DRAFT_EXAMPLE = {
    "customer": "5f0c6f9e-2f7a-4d8e-9d1c-0c8b7a6e5d4c",
    "lines": [{"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90"}],
    "redeem_points": 100,
}
CALCULATION_EXAMPLE = {
    "subtotal": "179.80", "discount": "0.00", "redeemed_points": 100, "redeemed_amount": "100.00", "total": "79.80",
    "accrued_points": 3, "max_redeem_points": 179,
    "lines": [{"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90", "amount": "179.80",
               "discount": "0.00", "redeemed_points": 100, "redeemed_amount": "100.00", "total": "79.80", "accrued_points": 3}],
    "applied": [
        {"kind": "redemption", "name": "Points redeemed", "detail": "100 points at 1.00 each", "points": 100, "amount": "100.00"},
        {"kind": "accrual", "name": "Base accrual 5%", "detail": "5% of 79.80 paid in money, rounded down", "points": 3},
    ],
}


def merchant_of(request) -> Merchant:
    return request.auth.merchant


def customer_payload(*, merchant: Merchant, customer: Customer) -> dict:
    summary = selectors.customer_summary_get(merchant=merchant, customer=customer, now=timezone.now())
    zone = ZoneInfo(merchant.timezone)
    tier = summary.tier
    return {
        "id": str(customer.pk),
        "phone": customer.phone,
        "name": customer.name,
        "email": customer.email,
        "birthday": customer.birthday.isoformat() if customer.birthday else None,
        "gender": customer.gender,
        "card_number": customer.card_number,
        "referral_code": customer.referral_code,
        "created_at": customer.created_at.astimezone(zone).isoformat(),
        "tier": {"code": tier.code, "name": tier.name} if tier else None,
        "tier_progress": summary.tier_progress,
        "balance": summary.balance.as_dict(),
        "expiring": summary.expiring,
        # Keys other apps add (promotions: offers, gifts, stamps).
        **customer_read_extras(merchant=merchant, customer=customer),
    }


def calculation_payload(calc, *, explain: bool) -> dict:
    """The calculate response; `not_applied` only when the draft asked for `explain: true`."""
    body = calc.as_dict()
    if not explain:
        body.pop("not_applied", None)
    return body


def customer_or_404(*, merchant: Merchant, customer_id) -> Customer:
    customer = customer_get(merchant=merchant, customer_id=customer_id)
    if customer is None:
        raise NotFound("No customer with this id.", code="customer_not_found")
    return customer


def data_object(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


class ProgramApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.ProgramSerializer},
                   examples=[OpenApiExample("Program", value={"accrual_percent": "5.00", "max_redeem_percent": "100.00", "point_value": "1.00",
                                                              "points_ttl_days": 365, "pending_days": 0, "welcome_bonus": 300,
                                                              "welcome_bonus_ttl_days": 14, "max_receipt_amount": None,
                                                              "counter_confirm_amount": "50000.00"}, response_only=True)])
    def get(self, request):
        merchant = merchant_of(request)
        return Response(self._payload(selectors.program_get(merchant=merchant), merchant=merchant))

    @extend_schema(request=s.ProgramPatchSerializer, responses={200: s.ProgramSerializer},
                   examples=[OpenApiExample("Raise accrual to 7%", value={"accrual_percent": "7.00"}, request_only=True)])
    def patch(self, request):
        merchant = merchant_of(request)
        program = services.program_update(merchant=merchant, changes=data_object(request))
        return Response(self._payload(program, merchant=merchant))

    @staticmethod
    def _payload(program, *, merchant: Merchant) -> dict:
        currency = merchant.currency
        payload = {name: (str(value) if not isinstance(value, (int, type(None))) else value)
                   for name in PROGRAM_FIELDS for value in [getattr(program, name)]}
        for name in PROGRAM_MONEY_FIELDS:
            if payload[name] is not None:
                payload[name] = str(money_quantize(getattr(program, name), currency))
        # Sections other apps own (referrals: "referral").
        for section in program_sections():
            payload[section.name] = section.read(merchant=merchant)
        return payload


class CustomerCreateApi(APIView):
    @extend_schema(
        request=s.CustomerCreateRequestSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: s.CustomerSerializer, **ERRORS},
        examples=[
            OpenApiExample("Join", value={"phone": "+79991234567", "name": "Artem", "email": "a@example.com", "birthday": "1990-05-01",
                                          "gender": "m", "referral_code": "482913"}, request_only=True),
            OpenApiExample("Customer", value=CUSTOMER_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request):
        merchant = merchant_of(request)
        data = data_object(request)

        joining = set(s.CustomerCreateSerializer().fields)
        extras = {name: item for name, item in customer_fields().items() if name not in joining}
        unknown = sorted(key for key in data if key not in joining and key not in extras)
        if unknown:
            raise ValidationError({key: ["Unknown field."] for key in unknown})
        admin_only = sorted(key for key in data if key in extras and extras[key].admin)
        if admin_only and request.auth.scope != ApiScope.ADMIN:
            raise PermissionDenied("Setting " + ", ".join(admin_only) + " needs an admin key.")

        def run():
            serializer = s.CustomerCreateSerializer(data={key: value for key, value in data.items() if key in joining})
            serializer.is_valid(raise_exception=True)
            fields = {key: value for key, value in serializer.validated_data.items() if value is not None}
            customer = services.customer_join(merchant=merchant, store=request.auth.store, **fields)
            # The apps' profile fields, as the PATCH writes them; a bad one undoes the join (one transaction).
            for key, value in data.items():
                if key in extras:
                    extras[key].apply(merchant=merchant, customer=customer, value=value)
            return 201, customer_payload(merchant=merchant, customer=customer)

        status, body, replayed = idempotent_call(
            merchant=merchant, key=request.headers.get("Idempotency-Key"), endpoint="customers.create", data=data, run=run
        )
        return replay_aware(Response(body, status=status), replayed)


class CustomerLookupApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("q", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"\S"}, required=True,
                                     description="A phone in any format, a card number, or a referral code (1 to 64 characters, not blank)")],
        responses={200: s.CustomerSerializer, **READ_ERRORS},
        examples=[OpenApiExample("Found", value=CUSTOMER_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        merchant = merchant_of(request)
        q = request.query_params.get("q", "")
        if not q.strip():
            raise ValidationError({"q": ["Send a phone, card number or referral code."]})
        if len(q) > 64:
            raise ValidationError({"q": ["At most 64 characters."]})
        customer = customer_lookup(merchant=merchant, q=q)
        if customer is None:
            raise NotFound("No customer matches this phone, card number or referral code.", code="customer_not_found")
        return Response(customer_payload(merchant=merchant, customer=customer))


class CustomerDetailApi(APIView):
    @extend_schema(responses={200: s.CustomerSerializer, **READ_ERRORS}, examples=[OpenApiExample("Customer", value=CUSTOMER_EXAMPLE, response_only=True)])
    def get(self, request, customer_id):
        merchant = merchant_of(request)
        return Response(customer_payload(merchant=merchant, customer=customer_or_404(merchant=merchant, customer_id=customer_id)))

    @extend_schema(request=s.CustomerPatchSerializer, responses={200: s.CustomerSerializer, **ERRORS},
                   description="Change the fields other apps add to the customer (agents' `agent_percent` needs an admin key: 403 with a pos key). "
                               "All or nothing: one bad field writes none.")
    def patch(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        data = data_object(request)
        fields = customer_fields()
        unknown = sorted(key for key in data if key not in fields)
        if unknown:
            raise ValidationError({key: ["Unknown field."] for key in unknown})
        if any(fields[key].admin for key in data) and request.auth.scope != ApiScope.ADMIN:
            raise PermissionDenied("Changing " + ", ".join(sorted(key for key in data if fields[key].admin)) + " needs an admin key.")
        with transaction.atomic():
            for key, value in data.items():
                fields[key].apply(merchant=merchant, customer=customer, value=value)
        return Response(customer_payload(merchant=merchant, customer=customer))


class EntryPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class CustomerEntriesApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("page", int, description="Page number, from 1 (404 past the last page)"),
                    OpenApiParameter("page_size", int, description="Entries per page, 50 by default, at most 200")],
        responses={200: s.PaginatedEntrySerializer, **READ_ERRORS},
        examples=[OpenApiExample("History", response_only=True, value={"count": 1, "next": None, "previous": None, "results": [
            {"id": 10, "at": "2026-11-23T10:00:00+03:00", "kind": "welcome", "points": 300, "receipt": None,
             "description": "Welcome bonus for joining", "expires_on": "2026-12-07"}]})],
    )
    def get(self, request, customer_id):
        merchant = merchant_of(request)
        customer = customer_or_404(merchant=merchant, customer_id=customer_id)
        zone = ZoneInfo(merchant.timezone)
        paginator = EntryPagination()
        page = paginator.paginate_queryset(selectors.entry_list(merchant=merchant, customer=customer), request, view=self)
        results = [
            {
                "id": entry.pk,
                "at": entry.at.astimezone(zone).isoformat(),
                "kind": entry.kind,
                "points": entry.points,
                "receipt": str(entry.receipt_id) if entry.receipt_id else None,
                "description": entry_text(entry, language=merchant.language),
                "expires_on": entry.expires_at.astimezone(zone).date().isoformat() if entry.expires_at else None,
            }
            for entry in page
        ]
        return paginator.get_paginated_response(results)


def resolve_checkout(request, data: dict) -> tuple[Store, Customer | None]:
    """The store and customer a draft names, within the caller's merchant."""
    merchant = merchant_of(request)
    key_store = request.auth.store
    code = data.get("store")
    if code is not None and not isinstance(code, str):
        raise ValidationError({"store": ["Send the store code as text."]})
    if code:
        store = store_get(merchant=merchant, code=code)
        if store is None:
            raise ValidationError({"store": [f"No store with code {code[:50]!r}."]})
        if key_store is not None and store.pk != key_store.pk:
            raise ValidationError({"store": ["This API key belongs to another store."]})
    else:
        store = default_store(request.auth)
        if store is None:
            raise ValidationError({"store": ["Send a store code; this merchant has no store `main`."]})
    customer = None
    if data.get("customer") not in (None, ""):
        customer = customer_or_404(merchant=merchant, customer_id=data["customer"])
    elif data.get("phone") not in (None, ""):
        if not isinstance(data["phone"], str):
            raise ValidationError({"phone": ["Send the phone as text."]})
        customer = customer_lookup(merchant=merchant, q=data["phone"])
        if customer is None:
            raise NotFound("No customer with this phone.", code="customer_not_found")
    return store, customer


class ReceiptCalculateApi(APIView):
    @extend_schema(
        request=s.DraftSerializer, responses={200: s.CalculationSerializer, **ERRORS},
        examples=[OpenApiExample("Draft", value=DRAFT_EXAMPLE, request_only=True),
                  OpenApiExample("Priced", value=CALCULATION_EXAMPLE, response_only=True)],
    )
    def post(self, request):
        merchant = merchant_of(request)
        data = data_object(request)
        store, customer = resolve_checkout(request, data)
        draft = draft_parse(data, currency=merchant.currency)
        calc = services.receipt_calculate(merchant=merchant, customer=customer, draft=draft, store=store)
        return Response(calculation_payload(calc, explain=draft.explain))


class ReceiptCommitApi(APIView):
    @extend_schema(
        request=s.CommitSerializer, parameters=[IDEMPOTENCY_HEADER], responses={201: s.CommittedReceiptSerializer, **ERRORS},
        examples=[OpenApiExample("Commit", value={**DRAFT_EXAMPLE, "number": "A-000123"}, request_only=True),
                  OpenApiExample("Committed", response_only=True, status_codes=["201"],
                                 value={**CALCULATION_EXAMPLE, "id": "9b2e4c1a-0d3f-4e5a-8b6c-7d8e9f0a1b2c", "number": "A-000123",
                                        "balance": {"available": 203, "pending": 0}})],
    )
    def post(self, request):
        merchant = merchant_of(request)
        data = data_object(request)

        def run():
            store, customer = resolve_checkout(request, data)
            draft = draft_parse(data, currency=merchant.currency, extra_keys=("number",))
            receipt, calc = services.receipt_commit(
                merchant=merchant, store=store, customer=customer, draft=draft, number=data.get("number"), now=timezone.now(),
                savepoint=False,  # idempotent_call's transaction ends with this request: an error rolls it all back
            )
            body = {**calculation_payload(calc, explain=draft.explain), "id": str(receipt.pk), "number": receipt.number}
            body["balance"] = receipt.balance.as_dict() if customer else None  # computed by the commit, not re-read
            return 201, body

        status, body, replayed = idempotent_call(
            merchant=merchant, key=request.headers.get("Idempotency-Key"), endpoint=idempotency_endpoint(request, "receipts.commit"), data=data, run=run
        )
        return replay_aware(Response(body, status=status), replayed)


class ReceiptDetailApi(APIView):
    @extend_schema(responses={200: s.ReceiptSerializer, **READ_ERRORS})
    def get(self, request, receipt_id):
        merchant = merchant_of(request)
        receipt = receipt_or_404(request, receipt_id)
        return Response(receipt_payload(receipt))


def receipt_or_404(request, receipt_id):
    """The caller's receipt: a store-bound key sees only its own store's receipts."""
    receipt = selectors.receipt_get(merchant=merchant_of(request), receipt_id=receipt_id, store=request.auth.store)
    if receipt is None:
        raise NotFound("No receipt with this id.", code="receipt_not_found")
    return receipt


def idempotency_endpoint(request, name: str) -> str:
    """A store-bound key's keys are its own: another store's key never replays its responses."""
    store = request.auth.store
    return name if store is None else f"{name}@store:{store.pk}"


def receipt_payload(receipt) -> dict:
    return {
        "id": str(receipt.pk),
        "number": receipt.number,
        "store": receipt.store.code,
        "customer": str(receipt.customer_id) if receipt.customer_id else None,
        "purchased_at": receipt.purchased_at.isoformat(),
        "subtotal": str(receipt.subtotal),
        "discount": str(receipt.discount),
        "redeemed_points": receipt.redeemed_points,
        "redeemed_amount": str(receipt.redeemed_amount),
        "total": str(receipt.total),
        "accrued_points": receipt.accrued_points,
        "refunded_amount": str(receipt.refunded_amount),
        "points_reversed": receipt.points_reversed,
        "points_returned": receipt.points_returned,
        "lines": [
            {"sku": line.sku, "name": line.name, "category": line.category, "quantity": quantity_text(line.quantity), "price": str(line.price),
             "amount": str(line.amount), "discount": str(line.discount), "redeemed_points": line.redeemed_points,
             "redeemed_amount": str(line.redeemed_amount), "total": str(line.total), "accrued_points": line.accrued_points,
             "returned_quantity": quantity_text(line.returned_quantity)}
            for line in receipt.lines.all()
        ],
        "applied": applied_render(receipt.applied, language=receipt.merchant.language),
    }


class ReceiptRefundApi(APIView):
    @extend_schema(
        request=s.RefundRequestSerializer, parameters=[IDEMPOTENCY_HEADER], responses={200: s.RefundSerializer, **ERRORS},
        examples=[OpenApiExample("Return one item", value={"lines": [{"sku": "MILK-1", "quantity": "1"}]}, request_only=True),
                  OpenApiExample("Return everything left", value={}, request_only=True),
                  OpenApiExample("Refunded", response_only=True, value={"id": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "refunded_amount": "39.90", "points_reversed": 1,
                                                                         "points_returned": 50, "balance": {"available": 152, "pending": 0}})],
    )
    def post(self, request, receipt_id):
        merchant = merchant_of(request)
        data = data_object(request)
        receipt = receipt_or_404(request, receipt_id)

        def run():
            refund = services.receipt_refund(receipt=receipt, data=data)
            customer = receipt.customer
            return 200, {
                "id": str(refund.pk),
                "refunded_amount": str(refund.refunded_amount),
                "points_reversed": refund.points_reversed,
                "points_returned": refund.points_returned,
                "balance": selectors.balance_get(merchant=merchant, customer=customer).as_dict() if customer else None,
            }

        status, body, replayed = idempotent_call(
            merchant=merchant, key=request.headers.get("Idempotency-Key"), endpoint=f"receipts.refund:{receipt.pk}", data=data, run=run
        )
        return replay_aware(Response(body, status=status), replayed)


def replay_aware(response: Response, replayed: bool) -> Response:
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


TIER_EXAMPLE = {"code": "gold", "name": "Gold", "rank": 2, "accrual_percent": "7.00", "max_redeem_percent": None,
                "discount_percent": "0.00", "entry": {"total_spend": "10000.00"}, "window_days": None, "keep": None}


def tier_payload(tier) -> dict:
    return {
        "code": tier.code,
        "name": tier.name,
        "rank": tier.rank,
        "accrual_percent": str(tier.accrual_percent) if tier.accrual_percent is not None else None,
        "max_redeem_percent": str(tier.max_redeem_percent) if tier.max_redeem_percent is not None else None,
        "discount_percent": str(tier.discount_percent),
        "entry": tier.entry,
        "window_days": tier.window_days,
        "keep": tier.keep,
    }


class TierListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    # A list response's example is one item: the schema generator wraps it in the list.
    @extend_schema(responses={200: s.TierSerializer(many=True)}, examples=[OpenApiExample("Tiers", value=TIER_EXAMPLE, response_only=True)])
    def get(self, request):
        return Response([tier_payload(tier) for tier in selectors.tier_list(merchant=merchant_of(request))])

    @extend_schema(request=s.TierSerializer, responses={201: s.TierSerializer, **ERRORS},
                   examples=[OpenApiExample("Gold", value=TIER_EXAMPLE, request_only=True)])
    def post(self, request):
        tier = tier_services.tier_create(merchant=merchant_of(request), data=data_object(request))
        return Response(tier_payload(tier), status=201)


class TierDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[TIER_CODE], responses={200: s.TierSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Gold", value=TIER_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(tier_payload(tier_services.tier_get_or_404(merchant=merchant_of(request), code=code)))

    @extend_schema(parameters=[TIER_CODE], request=s.TierPatchSerializer, responses={200: s.TierSerializer, **ERRORS},
                   examples=[OpenApiExample("Lower the threshold", value={"entry": {"total_spend": "8000.00"}}, request_only=True)])
    def patch(self, request, code):
        tier = tier_services.tier_get_or_404(merchant=merchant_of(request), code=code)
        return Response(tier_payload(tier_services.tier_update(tier=tier, data=data_object(request))))

    @extend_schema(parameters=[TIER_CODE], responses={204: None, **ERRORS})
    def delete(self, request, code):
        tier = tier_services.tier_get_or_404(merchant=merchant_of(request), code=code)
        tier_services.tier_delete(tier=tier)
        return Response(status=204)

"""The campaigns API (docs/api.md "Segments"), admin scope. Each view parses, calls one service or selector, renders."""
import csv
from zoneinfo import ZoneInfo

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from campaigns import selectors, services
from campaigns.api import serializers as s
from campaigns.services import badges as badge_services
from campaigns.services import surveys as survey_services
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import IDEMPOTENCY_HEADER, data_object, merchant_of, replay_aware
from loyalty.services.idempotency import idempotent_call

READ_ERRORS = {404: ErrorSerializer}
ERRORS = {404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer}
SEGMENT_CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_-]+$"},
                                OpenApiParameter.PATH, description="The segment's code")
RULES_EXAMPLE = {"all": [{"field": "days_since_purchase", "op": "gte", "value": 60},
                         {"any": [{"field": "tier", "op": "in", "value": ["gold"]},
                                  {"field": "spend", "op": "gte", "value": "20000.00", "days": 365}]}]}
SEGMENT_EXAMPLE = {"code": "sleepers", "name": "No purchase for 60 days", "rules": RULES_EXAMPLE, "count": 1234}
MEMBER_COLUMNS = ("id", "phone", "name", "email", "card_number", "birthday", "gender", "created_at")


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """`?format=` names the export format here (csv), not a renderer: negotiation always answers JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def segment_or_404(request, code: str):
    segment = selectors.segment_get(merchant=merchant_of(request), code=code)
    if segment is None:
        raise NotFound("No segment with this code.", code="segment_not_found")
    return segment


def staff_of(request):
    """The API acts as the key, not a staff member: audit entries name no actor."""
    return None


class SegmentListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.SegmentSerializer(many=True)},
                   examples=[OpenApiExample("Segments", value=SEGMENT_EXAMPLE, response_only=True)])
    def get(self, request):
        segments = selectors.segment_list(merchant=merchant_of(request))
        return Response([services.segment_as_dict(segment) for segment in segments])

    @extend_schema(request=s.SegmentInputSerializer, responses={201: s.SegmentSerializer, **ERRORS},
                   examples=[OpenApiExample("Sleepers", request_only=True, value={"code": "sleepers", "name": "No purchase for 60 days",
                                                                                "rules": RULES_EXAMPLE}),
                             OpenApiExample("Created", response_only=True, status_codes=["201"], value=SEGMENT_EXAMPLE)])
    def post(self, request):
        segment = services.segment_create(merchant=merchant_of(request), data=data_object(request), actor=staff_of(request))
        return Response(services.segment_as_dict(segment), status=201)


class SegmentDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[SEGMENT_CODE], responses={200: s.SegmentSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Segment", value=SEGMENT_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(services.segment_as_dict(segment_or_404(request, code)))

    @extend_schema(parameters=[SEGMENT_CODE], request=s.SegmentPatchSerializer, responses={200: s.SegmentSerializer, **ERRORS},
                   examples=[OpenApiExample("Rename", value={"name": "Sleepers"}, request_only=True)])
    def patch(self, request, code):
        segment = services.segment_update(segment=segment_or_404(request, code), data=data_object(request), actor=staff_of(request))
        return Response(services.segment_as_dict(segment))

    @extend_schema(parameters=[SEGMENT_CODE], responses={204: None, **ERRORS})
    def delete(self, request, code):
        services.segment_delete(segment=segment_or_404(request, code), actor=staff_of(request))
        return Response(status=204)


class SegmentPreviewApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(request=s.SegmentPreviewInputSerializer, responses={200: s.SegmentPreviewSerializer},
                   examples=[OpenApiExample("Rules", value={"rules": RULES_EXAMPLE}, request_only=True),
                             OpenApiExample("Count", value={"count": 1234}, response_only=True)])
    def post(self, request):
        data = data_object(request)
        unknown = sorted(set(data) - {"rules"}, key=str)
        if unknown:
            raise ValidationError({str(key): ["Unknown field."] for key in unknown})
        if "rules" not in data:
            raise ValidationError({"rules": ["Send the rules."]})
        members = selectors.segment_rules_customers(merchant=merchant_of(request), rules=data["rules"])
        return Response({"count": selectors.members_count(members)})


class MemberPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def member_payload(customer, *, zone: ZoneInfo) -> dict:
    return {"id": str(customer.pk), "phone": customer.phone, "name": customer.name, "email": customer.email,
            "card_number": customer.card_number, "birthday": customer.birthday.isoformat() if customer.birthday else None,
            "gender": customer.gender, "created_at": customer.created_at.astimezone(zone).isoformat()}


class _Echo:
    def write(self, value):
        return value


def members_csv_response(members, *, zone: ZoneInfo, filename: str) -> StreamingHttpResponse:
    """Every member as CSV, streamed in chunks (never the whole segment in memory)."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(MEMBER_COLUMNS)
        for customer in members.iterator(chunk_size=2000):
            payload = member_payload(customer, zone=zone)
            yield writer.writerow([payload[column] or "" for column in MEMBER_COLUMNS])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class SegmentCustomersApi(APIView):
    permission_classes = [HasAdminScope]
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(
        parameters=[SEGMENT_CODE,
                    OpenApiParameter("format", {"type": "string", "enum": ["json", "csv"]},
                                     description="csv: every member as " + ",".join(MEMBER_COLUMNS) + " (not paginated)"),
                    OpenApiParameter("page", int, description="Page number, from 1 (404 past the last page)"),
                    OpenApiParameter("page_size", int, description="Members per page, 50 by default, at most 500")],
        responses={(200, "application/json"): s.PaginatedSegmentMemberSerializer,
                   (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=",".join(MEMBER_COLUMNS)),
                   **READ_ERRORS},
    )
    def get(self, request, code):
        merchant = merchant_of(request)
        segment = segment_or_404(request, code)
        export = request.query_params.get("format", "json")
        if export not in ("json", "csv"):
            raise ValidationError({"format": ["Use json or csv."]})
        zone = ZoneInfo(merchant.timezone)
        members = selectors.segment_customers(merchant=merchant, segment=segment).order_by("-created_at", "-pk")
        if export == "csv":
            return members_csv_response(members, zone=zone, filename=f"segment-{segment.code}.csv")
        paginator = MemberPagination()
        page = paginator.paginate_queryset(members, request, view=self)
        return paginator.get_paginated_response([member_payload(customer, zone=zone) for customer in page])


class SegmentBonusApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(
        parameters=[SEGMENT_CODE, IDEMPOTENCY_HEADER], request=s.SegmentBonusInputSerializer, responses={201: s.SegmentBonusSerializer, **ERRORS},
        description="Credits every member once, set-based, entry kind `bonus` with the reason. Replaying the Idempotency-Key credits nothing more.",
        examples=[OpenApiExample("Snowboarder's day", value={"points": 100, "ttl_days": 7, "reason": "Snowboarder's day"}, request_only=True),
                  OpenApiExample("Credited", value={"customers": 1234, "points": 123400}, response_only=True, status_codes=["201"])],
    )
    def post(self, request, code):
        merchant = merchant_of(request)
        segment = segment_or_404(request, code)
        data = data_object(request)

        def run():
            bonus = services.segment_bonus_give(segment=segment, data=data)
            return 201, {"customers": bonus.customers, "points": bonus.customers * bonus.points}

        status, body, replayed = idempotent_call(merchant=merchant, key=request.headers.get("Idempotency-Key"),
                                                 endpoint=f"segments.bonus:{segment.code}", data=data, run=run)
        return replay_aware(Response(body, status=status), replayed)


DRAW_CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_-]+$"},
                             OpenApiParameter.PATH, description="The draw's code")
DRAW_EXAMPLE = {"code": "winter", "name": "Winter prize draw", "segment": "sleepers", "winners": 3,
                "prize": {"points": 1000, "ttl_days": 30}, "draw_at": "2026-12-31T12:00:00+03:00",
                "commitment": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "status": "scheduled",
                "seed": None, "participants": None, "winner_ids": [], "run_at": None}


def draw_or_404(request, code: str):
    draw = selectors.draw_get(merchant=merchant_of(request), code=code)
    if draw is None:
        raise NotFound("No draw with this code.", code="draw_not_found")
    return draw


class DrawListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.DrawSerializer(many=True)}, examples=[OpenApiExample("Draws", value=DRAW_EXAMPLE, response_only=True)])
    def get(self, request):
        return Response([services.draw_as_dict(draw) for draw in selectors.draw_list(merchant=merchant_of(request))])

    @extend_schema(request=s.DrawInputSerializer, responses={201: s.DrawSerializer, **ERRORS},
                   examples=[OpenApiExample("Three winners", request_only=True, value={
                       "code": "winter", "name": "Winter prize draw", "segment": "sleepers", "winners": 3,
                       "prize": {"points": 1000, "ttl_days": 30}, "draw_at": "2026-12-31T12:00:00+03:00"}),
                       OpenApiExample("Created", response_only=True, status_codes=["201"], value=DRAW_EXAMPLE)])
    def post(self, request):
        draw = services.draw_create(merchant=merchant_of(request), data=data_object(request))
        return Response(services.draw_as_dict(draw), status=201)


class DrawDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[DRAW_CODE], responses={200: s.DrawSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Draw", value=DRAW_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(services.draw_as_dict(draw_or_404(request, code)))


class DrawRunApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[DRAW_CODE], request=None, responses={200: s.DrawResultSerializer, **ERRORS},
                   description="Runs the draw now (or returns its result when it has run): participants are the segment's members "
                               "at this moment, ranked by SHA-256 of seed + \":\" + customer id, ascending.",
                   examples=[OpenApiExample("Result", response_only=True, value={
                       "seed": "3b1f…", "participants": 1234, "winners": ["5f0c6f9e-2f7a-4d8e-9d1c-0c8b7a6e5d4c"]})])
    def post(self, request, code):
        draw = services.draw_run(draw=draw_or_404(request, code))
        return Response(services.draw_result(draw))


class DrawParticipantsApi(APIView):
    permission_classes = [HasAdminScope]
    content_negotiation_class = JsonOnlyNegotiation

    @extend_schema(parameters=[DRAW_CODE], responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="customer_id, rank"),
                                                     **READ_ERRORS},
                   description="The frozen participants of a draw that has run, with each one's rank key, as CSV (404 before it runs).")
    def get(self, request, code):
        draw = draw_or_404(request, code)
        if draw.status != "done":
            raise NotFound("The draw has not run yet.", code="draw_not_run")
        writer = csv.writer(_Echo())
        ids = selectors.draw_participant_ids(draw=draw)

        def rows():
            yield writer.writerow(["customer_id", "rank"])
            for customer_id in ids.iterator(chunk_size=5000):
                yield writer.writerow([str(customer_id), services.draw_rank(draw.seed, str(customer_id))])

        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="draw-{draw.code}.csv"'
        return response


BADGE_EXAMPLE = {"code": "regular", "name": "Regular", "rule": "purchases", "n": 10, "points": 200, "active": True}


class BadgeListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.BadgeSerializer(many=True)}, examples=[OpenApiExample("Badges", value=BADGE_EXAMPLE, response_only=True)])
    def get(self, request):
        return Response([badge_services.badge_as_dict(badge) for badge in selectors.badge_list(merchant=merchant_of(request))])

    @extend_schema(request=s.BadgeSerializer, responses={201: s.BadgeSerializer, **ERRORS},
                   description="Customers who already meet the rule earn it at once (and its points, once).",
                   examples=[OpenApiExample("Ten purchases", value={"code": "regular", "name": "Regular", "rule": "purchases", "n": 10,
                                                                     "points": 200}, request_only=True),
                             OpenApiExample("Created", value=BADGE_EXAMPLE, response_only=True, status_codes=["201"])])
    def post(self, request):
        merchant = merchant_of(request)
        badge = badge_services.badge_create(merchant=merchant, data=data_object(request))
        badge_services.badges_award(merchant=merchant)
        return Response(badge_services.badge_as_dict(badge), status=201)


class NpsReportApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(
        parameters=[OpenApiParameter("from", OpenApiTypes.DATE, description="First day (merchant's date, inclusive); 30 days ago by default"),
                    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive); today by default")],
        responses={200: s.NpsReportSerializer},
        examples=[OpenApiExample("NPS", response_only=True, value={"responses": 120, "promoters": 70, "passives": 30, "detractors": 20,
                                                                   "nps": 42})],
    )
    def get(self, request):
        merchant = merchant_of(request)
        today = timezone.now().astimezone(ZoneInfo(merchant.timezone)).date()
        date_from, date_to = survey_services.period_parse(request.query_params.get("from"), request.query_params.get("to"), today=today)
        return Response(survey_services.nps_report(merchant=merchant, date_from=date_from, date_to=date_to))

"""The campaigns, triggers and product-requests API, admin scope. Each view parses, calls one service or selector, renders."""
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from campaigns import mailing, triggering, wishlist
from campaigns.api import messaging_serializers as s
from campaigns.models import Campaign, ProductRequest, Trigger
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import customer_or_404, data_object, merchant_of

READ_ERRORS = {404: ErrorSerializer}
ERRORS = {404: ErrorSerializer, 409: ErrorSerializer, 422: ErrorSerializer}
CODE = OpenApiParameter("code", {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[A-Za-z0-9_-]+$"},
                        OpenApiParameter.PATH, description="The code")
DAYS = OpenApiParameter("days", {"type": "integer", "minimum": 1, "maximum": 3650}, description="Days since sending (default 30)")

CAMPAIGN_EXAMPLE = {
    "code": "spring", "name": "Spring sale", "segment": "sleepers", "channels": ["email", "sms", "push"],
    "subject": "Spring at Acme", "text": "Hello {name}, 200 points are yours until {offer_ends}.",
    "offer": {"points": 200, "ttl_days": 7}, "control_percent": 10, "send_at": None, "status": "draft", "recipients": 0, "control": 0,
    "sent": {"email": 0, "sms": 0, "push": 0}, "skipped": 0, "progress": "0.00",
}
TRIGGER_EXAMPLE = {"code": "bday", "name": "Happy birthday", "event": "birthday", "days_before": 3, "family": False,
                   "channels": ["email", "push"], "subject": "Happy birthday!", "text": "Hello {name}, 500 points as a gift.",
                   "offer": {"points": 500, "ttl_days": 14}, "active": True, "sent_last_week": 0}


def campaign_or_404(request, code: str) -> Campaign:
    campaign = Campaign.objects.filter(merchant=merchant_of(request), code=code).select_related("merchant").first()
    if campaign is None:
        raise NotFound("No campaign with this code.", code="campaign_not_found")
    return campaign


def trigger_or_404(request, code: str) -> Trigger:
    trigger = Trigger.objects.filter(merchant=merchant_of(request), code=code).select_related("merchant").first()
    if trigger is None:
        raise NotFound("No trigger with this code.", code="trigger_not_found")
    return trigger


class CampaignListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.CampaignSerializer(many=True)},
                   examples=[OpenApiExample("Campaigns", value=CAMPAIGN_EXAMPLE, response_only=True)])
    def get(self, request):
        campaigns = Campaign.objects.filter(merchant=merchant_of(request), request_sku="").order_by("-created_at")[:500]
        return Response([mailing.campaign_as_dict(campaign) for campaign in campaigns])

    @extend_schema(request=s.CampaignInputSerializer, responses={201: s.CampaignSerializer, **ERRORS},
                   examples=[OpenApiExample("Spring", request_only=True, value={
                       "code": "spring", "name": "Spring sale", "segment": None, "channels": ["email", "push"],
                       "subject": "Spring at Acme", "text": "Hello {name}, 200 points until {offer_ends}",
                       "offer": {"points": 200, "ttl_days": 7}, "control_percent": 10})])
    def post(self, request):
        campaign = mailing.campaign_create(merchant=merchant_of(request), data=data_object(request))
        return Response(mailing.campaign_as_dict(campaign), status=201)


class CampaignDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CODE], responses={200: s.CampaignSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Campaign", value=CAMPAIGN_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(mailing.campaign_as_dict(campaign_or_404(request, code)))

    @extend_schema(parameters=[CODE], request=s.CampaignPatchSerializer, responses={200: s.CampaignSerializer, **ERRORS},
                   examples=[OpenApiExample("Schedule", value={"send_at": "2027-03-01T10:00:00+03:00"}, request_only=True)])
    def patch(self, request, code):
        campaign = mailing.campaign_update(campaign=campaign_or_404(request, code), data=data_object(request))
        return Response(mailing.campaign_as_dict(campaign))


class CampaignPreviewApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CODE], request=s.PreviewInputSerializer, responses={200: s.PreviewSerializer, **ERRORS},
                   examples=[OpenApiExample("For a member", value={"customer": "0b6f3c1e-8a7d-4c1b-9a53-0c8e5f1d2a34"}, request_only=True)])
    def post(self, request, code):
        campaign = campaign_or_404(request, code)
        data = data_object(request)
        if "customer" not in data:
            raise ValidationError({"customer": ["This field is required."]})
        customer = customer_or_404(merchant=campaign.merchant, customer_id=data["customer"])
        return Response(mailing.campaign_preview(campaign=campaign, customer=customer))


class CampaignTestApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CODE], request=s.TestInputSerializer, responses={200: s.QueuedSerializer, **ERRORS},
                   examples=[OpenApiExample("To me", value={"email": "marketer@example.com"}, request_only=True)])
    def post(self, request, code):
        campaign = campaign_or_404(request, code)
        mailing.campaign_test_send(campaign=campaign, email=data_object(request).get("email"))
        return Response({"status": "sent", "detail": "One sample was sent."})


class CampaignSendApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CODE], request=None, responses={202: s.QueuedSerializer, **ERRORS},
                   description="Starts sending now; a job sends it. Sending twice is the same as once.")
    def post(self, request, code):
        campaign = mailing.campaign_send(campaign=campaign_or_404(request, code))
        return Response({"status": campaign.status, "detail": "The campaign is being sent."}, status=202)


class CampaignReportApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CODE, DAYS], responses={200: s.ReportSerializer, **ERRORS})
    def get(self, request, code):
        campaign = campaign_or_404(request, code)
        raw = request.query_params.get("days", "30")
        if not raw.isdigit() or not 1 <= int(raw) <= 3650:
            raise ValidationError({"days": ["Enter a whole number from 1 to 3650."]})
        return Response(mailing.campaign_report(campaign=campaign, days=int(raw)))


class TriggerListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.TriggerSerializer(many=True)},
                   examples=[OpenApiExample("Triggers", value=TRIGGER_EXAMPLE, response_only=True)])
    def get(self, request):
        triggers = Trigger.objects.filter(merchant=merchant_of(request)).order_by("code")[:500]
        return Response([triggering.trigger_as_dict(trigger) for trigger in triggers])

    @extend_schema(request=s.TriggerSerializer, responses={201: s.TriggerSerializer, **ERRORS},
                   examples=[OpenApiExample("Birthday", value={k: v for k, v in TRIGGER_EXAMPLE.items() if k != "sent_last_week"},
                                            request_only=True)])
    def post(self, request):
        trigger = triggering.trigger_create(merchant=merchant_of(request), data=data_object(request))
        return Response(triggering.trigger_as_dict(trigger), status=201)


class TriggerDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[CODE], responses={200: s.TriggerSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Trigger", value=TRIGGER_EXAMPLE, response_only=True)])
    def get(self, request, code):
        return Response(triggering.trigger_as_dict(trigger_or_404(request, code)))

    @extend_schema(parameters=[CODE], request=s.TriggerPatchSerializer, responses={200: s.TriggerSerializer, **ERRORS},
                   examples=[OpenApiExample("Pause", value={"active": False}, request_only=True)])
    def patch(self, request, code):
        trigger = triggering.trigger_update(trigger=trigger_or_404(request, code), data=data_object(request))
        return Response(triggering.trigger_as_dict(trigger))

    @extend_schema(parameters=[CODE], responses={204: None, **ERRORS})
    def delete(self, request, code):
        triggering.trigger_delete(trigger=trigger_or_404(request, code))
        return Response(status=204)


def request_payload(row: ProductRequest) -> dict:
    return {"id": row.pk, "customer": str(row.customer_id), "sku": row.sku, "note": row.note, "source": row.source,
            "created_at": row.created_at.isoformat()}


class ProductRequestsApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: s.SkuRequestsSerializer(many=True)}, description="Open requests per SKU, most wanted first.",
                   examples=[OpenApiExample("Per SKU", value={"sku": "AQUA-60L", "customers": 12, "last": "2027-03-01T10:00:00+03:00"},
                                            response_only=True)])
    def get(self, request):
        rows = wishlist.requests_by_sku(merchant=merchant_of(request))[:1000]
        return Response([{"sku": row["sku"], "customers": row["customers"], "last": row["last"].isoformat()} for row in rows])

    @extend_schema(request=s.ProductRequestInputSerializer, responses={201: s.ProductRequestSerializer, **ERRORS},
                   examples=[OpenApiExample("Wants it", value={"customer": "0b6f3c1e-8a7d-4c1b-9a53-0c8e5f1d2a34", "sku": "AQUA-60L"},
                                            request_only=True)])
    def post(self, request):
        merchant = merchant_of(request)
        data = data_object(request)
        if "customer" not in data:
            raise ValidationError({"customer": ["This field is required."]})
        customer = customer_or_404(merchant=merchant, customer_id=data["customer"])
        row = wishlist.request_record(merchant=merchant, customer=customer, sku=data.get("sku"), note=data.get("note", ""), source="api")
        return Response(request_payload(row), status=201)


class ProductRequestsNotifyApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(request=s.NotifyInputSerializer, responses={202: s.NotifySerializer, **ERRORS},
                   description="Mails exactly the customers with an open request for the SKU (a campaign without a control group).",
                   examples=[OpenApiExample("It arrived", value={"sku": "AQUA-60L", "text": "Hello {name}, the 60 l aquarium is in."},
                                            request_only=True)])
    def post(self, request):
        merchant = merchant_of(request)
        data = data_object(request)
        waiting = ProductRequest.objects.filter(merchant=merchant, sku=data.get("sku") if isinstance(data.get("sku"), str) else "",
                                                notified_at__isnull=True).values("customer").distinct().count()
        campaign = wishlist.requests_notify(merchant=merchant, sku=data.get("sku"), data=data)
        return Response({"campaign": campaign.code, "recipients": waiting}, status=202)

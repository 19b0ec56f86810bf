"""Customer imports and webhooks (docs/api.md "Importing customers and webhooks"): admin scope, the merchant's own objects only."""
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import NotFound, ValidationError
from loyalty import selectors
from loyalty.api.auth import HasAdminScope
from loyalty.api.serializers import ErrorSerializer
from loyalty.api.views import data_object, merchant_of
from loyalty.models import WEBHOOK_EVENTS
from loyalty.services import imports, webhooks

READ_ERRORS = {404: ErrorSerializer}

IMPORT_EXAMPLE = {
    "id": "0b6f3c1e-7d2a-4c55-9a53-2f1d6a3e9b10", "status": "done", "dry_run": False, "filename": "customers.csv", "rows": 3, "done": 3,
    "created": 2, "updated": 0, "balances": 2, "error_count": 1, "failure": "",
    "errors": [{"row": 4, "field": "phone", "message": "12 is not a valid phone number."}],
    "created_at": "2026-11-30T10:00:00+00:00", "finished_at": "2026-11-30T10:00:02+00:00",
}
WEBHOOK_EXAMPLE = {"id": 7, "url": "https://crm.example.com/hooks/loyalty", "events": ["receipt.committed", "customer.created"],
                   "active": True, "created_at": "2026-11-30T10:00:00+00:00"}


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The file's row number; the header is row 1")
    field = serializers.CharField(help_text="The column")
    message = serializers.CharField()


class ImportSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["queued", "running", "done", "failed"])
    dry_run = serializers.BooleanField()
    filename = serializers.CharField()
    rows = serializers.IntegerField(help_text="Data rows in the file (known once the job has read it)")
    done = serializers.IntegerField(help_text="Rows processed so far")
    created = serializers.IntegerField(help_text="Customers created (would be, in a dry run)")
    updated = serializers.IntegerField(help_text="Existing customers whose cells differed")
    balances = serializers.IntegerField(help_text="Balances credited as one `import` lot each")
    errors = ImportErrorSerializer(many=True, help_text="Rows skipped: the first 1000")
    error_count = serializers.IntegerField()
    failure = serializers.CharField(help_text="Why the whole file failed, when it did")
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (comma, semicolon or tab separated; UTF-8 or Windows-1251) or XLSX, up to 50 MB. "
                                           "Columns: phone (required), name, email, birthday, gender, card_number, balance, "
                                           "balance_expires_on, tier, joined_at")


class ImportCreatedSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    dry_run = serializers.BooleanField()


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS))
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(help_text="Signs every delivery; shown only in this response")


class WebhookInputSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, help_text="http:// or https://")
    events = serializers.ListField(child=serializers.ChoiceField(choices=WEBHOOK_EVENTS), min_length=1)
    secret = serializers.CharField(required=False, min_length=16, max_length=100, help_text="Generated when left out")


DRY_RUN = OpenApiParameter("dry_run", {"type": "string", "enum": ["0", "1", "true", "false"]},
                           description="1: check every row and report what would happen, writing nothing")
IMPORT_ID = OpenApiParameter("import_id", {"type": "string", "format": "uuid"}, OpenApiParameter.PATH, description="The import's id")
WEBHOOK_ID = OpenApiParameter("webhook_id", {"type": "integer"}, OpenApiParameter.PATH, description="The endpoint's id")


def _dry_run(request) -> bool:
    value = request.query_params.get("dry_run", "0")
    if value not in ("0", "1", "true", "false"):
        raise ValidationError({"dry_run": ["Use 1 or 0."]})
    return value in ("1", "true")


class ImportCreateApi(APIView):
    permission_classes = [HasAdminScope]
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[DRY_RUN], request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportCreatedSerializer},
        examples=[OpenApiExample("Queued", value={"id": IMPORT_EXAMPLE["id"], "status": "queued", "dry_run": False}, response_only=True)],
    )
    def post(self, request):
        dry_run = _dry_run(request)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationError({"file": ["Send the file as the multipart field `file`."]})
        if upload.size > imports.MAX_BYTES:
            raise ValidationError({"file": ["The file is larger than 50 MB."]})
        job = imports.import_create(merchant=merchant_of(request), name=upload.name or "", data=upload.read(), dry_run=dry_run)
        return Response({"id": str(job.pk), "status": job.status, "dry_run": job.dry_run}, status=202)


class ImportDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[IMPORT_ID], responses={200: ImportSerializer, **READ_ERRORS},
                   examples=[OpenApiExample("Import", value=IMPORT_EXAMPLE, response_only=True)])
    def get(self, request, import_id):
        return Response(imports.import_as_dict(imports.import_get(merchant=merchant_of(request), import_id=import_id)))


def _webhook_dict(endpoint, *, secret: bool = False) -> dict:
    body = {"id": endpoint.pk, "url": endpoint.url, "events": endpoint.events, "active": endpoint.active,
            "created_at": endpoint.created_at.isoformat()}
    if secret:
        body["secret"] = endpoint.secret
    return body


class WebhookListCreateApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(responses={200: WebhookSerializer(many=True)}, examples=[OpenApiExample("Endpoints", value=WEBHOOK_EXAMPLE, response_only=True)])
    def get(self, request):
        return Response([_webhook_dict(item) for item in selectors.webhook_endpoint_list(merchant=merchant_of(request))])

    @extend_schema(
        request=WebhookInputSerializer, responses={201: WebhookCreatedSerializer},
        examples=[
            OpenApiExample("New endpoint", request_only=True, value={"url": WEBHOOK_EXAMPLE["url"], "events": WEBHOOK_EXAMPLE["events"]}),
            OpenApiExample("Created", response_only=True, value={**WEBHOOK_EXAMPLE, "secret": "whsec_3q2-7wRk9mYzJX0n5cN1bV8tA4sD6fG2hL0pQ9eR7uI"}),
        ],
    )
    def post(self, request):
        data = data_object(request)
        endpoint = webhooks.webhook_endpoint_create(merchant=merchant_of(request), url=data.get("url"), events=data.get("events"),
                                                    secret=data.get("secret"))
        return Response(_webhook_dict(endpoint, secret=True), status=201)


class WebhookDetailApi(APIView):
    permission_classes = [HasAdminScope]

    @extend_schema(parameters=[WEBHOOK_ID], responses={204: None, **READ_ERRORS})
    def delete(self, request, webhook_id):
        endpoint = selectors.webhook_endpoint_get(merchant=merchant_of(request), endpoint_id=webhook_id)
        if endpoint is None:
            raise NotFound("No webhook endpoint with this id.", code="webhook_not_found")
        webhooks.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=204)



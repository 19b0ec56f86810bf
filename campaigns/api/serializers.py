"""Request and response shapes of the campaigns API, for the OpenAPI schema (the services judge the input)."""
from rest_framework import serializers

from loyalty.api.serializers import PartialMixin

CODE_HELP = "Letters, digits, - and _ (1 to 64); unique per merchant (409 segment_exists when taken)"
RULES_HELP = ('Nested groups {"all": [...]} / {"any": [...]} of conditions {"field", "op", "value", "days"}; '
              "a bad part is 400 naming its path, e.g. rules.all[1].any[0].op")


class SegmentInputSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", max_length=64, help_text=CODE_HELP)
    name = serializers.CharField(max_length=200)
    rules = serializers.JSONField(help_text=RULES_HELP)


class SegmentPatchSerializer(PartialMixin, serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    rules = serializers.JSONField(required=False, help_text=RULES_HELP)


class SegmentSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    rules = serializers.JSONField()
    count = serializers.IntegerField(help_text="Members now (read-only)")


class SegmentPreviewInputSerializer(serializers.Serializer):
    rules = serializers.JSONField(help_text=RULES_HELP)


class SegmentPreviewSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class SegmentMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    phone = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    card_number = serializers.CharField()
    birthday = serializers.DateField(allow_null=True)
    gender = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaginatedSegmentMemberSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SegmentMemberSerializer(many=True)


class SegmentBonusInputSerializer(serializers.Serializer):
    points = serializers.IntegerField(min_value=1, max_value=1_000_000, help_text="Points each member gets")
    ttl_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True,
                                        help_text="Days the points last; null or absent = they never expire")
    reason = serializers.CharField(max_length=200, help_text="Why; customers read it in their history")


class SegmentBonusSerializer(serializers.Serializer):
    customers = serializers.IntegerField(help_text="Members credited")
    points = serializers.IntegerField(help_text="Points credited in all")

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


class PointsPrizeSerializer(serializers.Serializer):
    points = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    ttl_days = serializers.IntegerField(min_value=1, max_value=3650, required=False, allow_null=True)
    gift = serializers.DictField(required=False, help_text='{"name", "sku", "quantity"} instead of points')


class DrawInputSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", max_length=64, help_text="Unique per merchant (409 draw_exists)")
    name = serializers.CharField(max_length=200)
    segment = serializers.CharField(allow_null=True, required=False, help_text="A segment's code; null or absent = every member")
    winners = serializers.IntegerField(min_value=1, max_value=1000)
    prize = PointsPrizeSerializer()
    draw_at = serializers.DateTimeField(help_text="ISO 8601 with offset; the job runs the draw then")


class DrawSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    segment = serializers.CharField(allow_null=True)
    winners = serializers.IntegerField()
    prize = serializers.JSONField()
    draw_at = serializers.DateTimeField()
    commitment = serializers.CharField(help_text="SHA-256 hex of the secret seed, published before the draw")
    status = serializers.ChoiceField(choices=["scheduled", "done"])
    seed = serializers.CharField(allow_null=True, help_text="Published once the draw has run")
    participants = serializers.IntegerField(allow_null=True)
    winner_ids = serializers.ListField(child=serializers.CharField())
    run_at = serializers.DateTimeField(allow_null=True)


class DrawResultSerializer(serializers.Serializer):
    seed = serializers.CharField()
    participants = serializers.IntegerField()
    winners = serializers.ListField(child=serializers.CharField(), help_text="Customer ids, best rank first")


class BadgeSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,64}$", max_length=64, help_text="Unique per merchant (409 badge_exists)")
    name = serializers.CharField(max_length=200)
    rule = serializers.ChoiceField(choices=["first_purchase", "purchases", "referrals", "survey"])
    n = serializers.IntegerField(min_value=1, max_value=100000, required=False, allow_null=True,
                                 help_text="Purchases or referrals needed (purchases, referrals)")
    points = serializers.IntegerField(min_value=0, max_value=1000000, required=False, help_text="Credited once on earning; 0 = none")
    active = serializers.BooleanField(required=False, read_only=True)


class NpsReportSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="Scores 9-10")
    passives = serializers.IntegerField(help_text="Scores 7-8")
    detractors = serializers.IntegerField(help_text="Scores 0-6")
    nps = serializers.IntegerField(allow_null=True, help_text="round(100 × (promoters − detractors) / responses); null without responses")

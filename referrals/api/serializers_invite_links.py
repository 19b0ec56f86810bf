"""Request and response shapes of the invite-link API (the services validate; these describe the schema)."""
from rest_framework import serializers

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


class InviteOfferSerializer(serializers.Serializer):
    promotion = serializers.CharField(max_length=64, help_text="A promotion's code")
    days = serializers.IntegerField(allow_null=True, required=False, min_value=1, max_value=36_500)
    uses = serializers.IntegerField(allow_null=True, required=False, min_value=1, max_value=1_000_000)


class InviteGiftSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=64)
    quantity = serializers.RegexField(r"^\d{1,9}(\.\d{1,3})?$", required=False, help_text="A decimal string, 1 by default")


class InviteLinkWriteSerializer(serializers.Serializer):
    code = serializers.RegexField(CODE_PATTERN, help_text="Letters, digits, - and _; stored in lower case")
    name = serializers.CharField(max_length=200)
    channel = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="A free label: partner, ads, social ...")
    welcome_bonus = serializers.IntegerField(allow_null=True, required=False, min_value=0, max_value=1_000_000,
                                             help_text="Instead of the program's, for sign-ups through this link; null = the program's")
    offers = InviteOfferSerializer(many=True, required=False, max_length=20)
    gifts = InviteGiftSerializer(many=True, required=False, max_length=20)
    cost = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, required=False, min_value=0,
                                    help_text="What the placement cost; null = unknown")
    active = serializers.BooleanField(required=False, default=True)


class InviteLinkPatchSerializer(InviteLinkWriteSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class InviteLinkSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    channel = serializers.CharField()
    welcome_bonus = serializers.IntegerField(allow_null=True)
    offers = InviteOfferSerializer(many=True)
    gifts = InviteGiftSerializer(many=True)
    cost = serializers.CharField(allow_null=True)
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    url = serializers.CharField(help_text="The portal join address")
    qr = serializers.CharField(help_text="An SVG of the join address's QR code")


class InviteLinkListSerializer(serializers.Serializer):
    results = InviteLinkSerializer(many=True)


class LinkReportSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    channel = serializers.CharField()
    signups = serializers.IntegerField()
    buyers = serializers.IntegerField()
    purchases = serializers.IntegerField()
    revenue = serializers.CharField()
    average_check = serializers.CharField(allow_null=True, help_text="revenue / purchases, rounded half up; null without purchases")
    conversion = serializers.CharField(help_text="buyers / signups with 4 places")
    cost = serializers.CharField(allow_null=True)
    cost_per_buyer = serializers.CharField(allow_null=True, help_text="cost / buyers, rounded half up; null without cost or buyers")


class LinkReportListSerializer(serializers.Serializer):
    results = LinkReportSerializer(many=True)

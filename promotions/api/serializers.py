"""Request and response shapes of the promotions API, for the OpenAPI schema (the services judge the input)."""
from rest_framework import serializers

from loyalty.api.serializers import PartialMixin
from promotions.services.validation import EFFECT_TYPES

CODE_HELP = "Letters, digits, - and _ (1 to 64); unique per merchant (400 on `code` when taken)"
MONEY_HELP = 'A decimal string in the currency, e.g. "199.90"; not negative'


class WeeklyWindowSerializer(serializers.Serializer):
    days = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=7), min_length=1,
                                 help_text="ISO weekdays, 1 = Monday")
    # `from` is a Python keyword: the field is declared under another name and renamed below.
    from_ = serializers.CharField(help_text='HH:MM in the merchant\'s timezone, inclusive; before `to`')
    to = serializers.CharField(help_text='HH:MM, exclusive ("24:00" for midnight)')

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class AudienceSerializer(serializers.Serializer):
    tiers = serializers.ListField(child=serializers.CharField(), required=False, help_text="Tier codes; empty = any tier")
    segments = serializers.ListField(child=serializers.CharField(), required=False, help_text="Segment codes; empty = any")
    customers = serializers.ListField(child=serializers.UUIDField(), required=False, help_text="Customer ids; empty = anyone")
    offer_only = serializers.BooleanField(required=False, help_text="Only customers holding a live personal offer of it")


class EveryNthSerializer(serializers.Serializer):
    n = serializers.IntegerField(min_value=1, help_text="The n-th stamp gets the effects")
    days = serializers.IntegerField(min_value=1, required=False, allow_null=True, help_text="Stamps count within the last N days; null = all time")


class ConditionsSerializer(serializers.Serializer):
    min_subtotal = serializers.CharField(required=False, allow_null=True, help_text=MONEY_HELP)
    skus = serializers.ListField(child=serializers.CharField(), required=False)
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    min_quantity = serializers.CharField(required=False, allow_null=True, help_text='Units of skus/categories in all, e.g. "2"; default 1')
    previous_purchase_min = serializers.CharField(required=False, allow_null=True, help_text=MONEY_HELP)
    first_purchase = serializers.BooleanField(required=False)
    every_nth = EveryNthSerializer(required=False, allow_null=True, help_text="A stamp card, or null")
    code_required = serializers.BooleanField(required=False)


class TargetSerializer(serializers.Serializer):
    skus = serializers.ListField(child=serializers.CharField(), required=False)
    categories = serializers.ListField(child=serializers.CharField(), required=False)


class EffectSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=EFFECT_TYPES)
    value = serializers.JSONField(required=False, help_text='Percent or money as a decimal string ("25", "100.00"), a multiplier ("2"), '
                                                           'or whole points for extra_points; not for unlock')
    promotion = serializers.CharField(required=False, help_text="unlock: the code of the promotion offered")
    days = serializers.IntegerField(required=False, min_value=1, help_text="unlock: days the offer lasts")
    uses = serializers.IntegerField(required=False, min_value=1, allow_null=True, help_text="unlock: receipts the offer lasts; null = no limit")


class LimitsSerializer(serializers.Serializer):
    per_customer = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    total_uses = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    budget_amount = serializers.CharField(required=False, allow_null=True, help_text=MONEY_HELP)
    budget_points = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class PromotionInputSerializer(serializers.Serializer):
    """What a client sends: only code, name and effects are required on create."""

    code = serializers.CharField(max_length=64, help_text=CODE_HELP)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)
    priority = serializers.IntegerField(required=False, help_text="Higher runs first; ties by code")
    exclusive = serializers.BooleanField(required=False)
    starts_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Inclusive; before ends_at")
    ends_at = serializers.DateTimeField(required=False, allow_null=True, help_text="Exclusive")
    weekly = WeeklyWindowSerializer(many=True, required=False)
    audience = AudienceSerializer(required=False)
    conditions = ConditionsSerializer(required=False)
    target = TargetSerializer(required=False)
    effects = EffectSerializer(many=True, help_text="At least one")
    block_accrual = serializers.BooleanField(required=False)
    block_redemption = serializers.BooleanField(required=False)
    limits = LimitsSerializer(required=False)


class PromotionPatchSerializer(PartialMixin, PromotionInputSerializer):
    pass


class PromotionSerializer(PromotionInputSerializer):
    """A promotion as read back, with its read-only counters."""

    uses = serializers.IntegerField(help_text="Receipts it applied to (net of full returns)")
    spent_amount = serializers.CharField(help_text="Money it took off")
    spent_points = serializers.IntegerField(help_text="Points it added beyond the base rate")


class CodeCreateSerializer(serializers.Serializer):
    """Either a public code (`code`) or a batch of personal single-use codes (`count` and/or `customers`)."""

    code = serializers.CharField(required=False, help_text="Public code, 3 to 64 letters, digits, - or _; unique per merchant in any case")
    per_customer = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="Public: receipts per customer")
    uses = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="Public: receipts in all")
    count = serializers.IntegerField(required=False, min_value=1, max_value=100_000, help_text="Personal: unbound codes to make")
    prefix = serializers.CharField(required=False, allow_blank=True, max_length=16, help_text="Personal: put before the 8 random characters")
    customers = serializers.ListField(child=serializers.UUIDField(), required=False, help_text="Personal: one code bound to each")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class CreatedSerializer(serializers.Serializer):
    created = serializers.IntegerField()


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=["public", "personal"])
    customer = serializers.UUIDField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    per_customer = serializers.IntegerField(allow_null=True)
    uses = serializers.IntegerField(allow_null=True, help_text="Public: the limit of receipts in all")
    used_count = serializers.IntegerField()
    expires_at = serializers.DateTimeField(allow_null=True)
    used_at = serializers.DateTimeField(allow_null=True)
    receipt = serializers.UUIDField(allow_null=True)


class PaginatedCodeSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CodeSerializer(many=True)


class OfferCreateSerializer(serializers.Serializer):
    promotion = serializers.CharField(help_text="The promotion's code")
    days = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="Days from now; null = no end date")
    uses = serializers.IntegerField(required=False, allow_null=True, min_value=1, help_text="Receipts; null = no limit")


class OfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    promotion = serializers.CharField()
    name = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)
    uses_left = serializers.IntegerField(allow_null=True)


class GiftCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    sku = serializers.CharField(max_length=64)
    quantity = serializers.CharField(required=False, help_text='A decimal string above zero, e.g. "5"; default "1"')
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class GiftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=["open", "used", "withdrawn"])
    receipt = serializers.UUIDField(allow_null=True)

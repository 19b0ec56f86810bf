"""Request and response shapes of the API, used for input checks and the OpenAPI schema."""
from rest_framework import serializers

from accounts.inputs import DATE_MAX, DATE_MIN
from accounts.models import Gender


def calendar_date(value):
    """Dates at the edge of the calendar are bad input (date arithmetic on them overflows)."""
    if value is not None and not DATE_MIN <= value <= DATE_MAX:
        raise serializers.ValidationError(f"Enter a date from {DATE_MIN.isoformat()} to {DATE_MAX.isoformat()}.")
    return value


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ProgramSerializer(serializers.Serializer):
    accrual_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    max_redeem_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    point_value = serializers.DecimalField(max_digits=10, decimal_places=2)
    points_ttl_days = serializers.IntegerField(allow_null=True)
    pending_days = serializers.IntegerField()
    welcome_bonus = serializers.IntegerField()
    welcome_bonus_ttl_days = serializers.IntegerField(allow_null=True)
    max_receipt_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True,
        help_text="A receipt whose subtotal is larger is refused with 422 receipt_over_limit; null = no limit",
    )
    counter_confirm_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True,
        help_text="The counter screen asks the cashier to confirm a sale whose subtotal is larger; null = never asks",
    )
    max_marketing_per_week = serializers.IntegerField(
        allow_null=True, required=False, min_value=0, max_value=1000,
        help_text="At most this many campaign messages to one customer in 7 days; null = no cap (triggered messages are exempt)",
    )


    def get_fields(self):
        """The base settings and the sections other apps register (loyalty.extensions.program_sections)."""
        from loyalty.extensions import program_sections

        fields = super().get_fields()
        for section in program_sections():
            serializer = section.patch_serializer if self._patch else section.serializer
            if serializer is not None:
                fields[section.name] = serializer(required=False)
        return fields

    _patch = False


class PartialMixin:
    """The PATCH shape of a serializer: every field optional."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class ProgramPatchSerializer(PartialMixin, ProgramSerializer):
    _patch = True


class CustomerCreateSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    birthday = serializers.DateField(required=False, allow_null=True, validators=[calendar_date])
    gender = serializers.ChoiceField(choices=Gender.choices, required=False, allow_blank=True)
    referral_code = serializers.CharField(max_length=8, required=False, allow_blank=True)
    invite = serializers.CharField(max_length=64, required=False, allow_blank=True)
    consent_email = serializers.BooleanField(required=False, default=False)
    consent_sms = serializers.BooleanField(required=False, default=False)


class CustomerCreateRequestSerializer(CustomerCreateSerializer):
    """What `POST /api/v1/customers` accepts: the join fields and the profile fields the apps register for the
    customer PATCH (loyalty.extensions.customer_field_register), validated and written by the app in the same
    transaction as the join."""

    def get_fields(self):
        from loyalty.extensions import customer_fields

        fields = super().get_fields()
        for name, item in customer_fields().items():
            fields.setdefault(name, item.serializer_field() if item.serializer_field else serializers.JSONField(required=False))
        return fields


class BalanceSerializer(serializers.Serializer):
    available = serializers.IntegerField()
    pending = serializers.IntegerField()


class ExpiringSerializer(serializers.Serializer):
    points = serializers.IntegerField()
    on = serializers.DateField()


class TierRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class TierProgressSerializer(serializers.Serializer):
    next = TierRefSerializer(allow_null=True)
    remaining = serializers.DictField(help_text="Each entry condition of the next tier with what is still missing")
    nearest = serializers.CharField(required=False, allow_null=True, help_text="The condition closest to being met")
    progress = serializers.FloatField(required=False, help_text="0..1 towards the nearest condition")


class TierSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="Letters, digits, - or _; unique per merchant (400 on `code` when taken)")
    name = serializers.CharField(max_length=100)
    rank = serializers.IntegerField(min_value=0, max_value=1000, help_text="0 to 1000, unique per merchant (400 on `rank` when taken); higher is better; a start tier below `base` takes 0")
    accrual_percent = serializers.CharField(allow_null=True, required=False, help_text="null = the program's base rate")
    max_redeem_percent = serializers.CharField(allow_null=True, required=False, help_text="null = the program's cap")
    discount_percent = serializers.CharField(required=False)
    entry = serializers.DictField(required=False, help_text="Any of total_spend, purchases, single_receipt, referrals")
    window_days = serializers.IntegerField(allow_null=True, required=False)
    keep = serializers.DictField(allow_null=True, required=False)


class TierPatchSerializer(PartialMixin, TierSerializer):
    pass


class CustomerOfferSerializer(serializers.Serializer):
    promotion = serializers.CharField()
    name = serializers.CharField()
    ends_at = serializers.DateTimeField(allow_null=True)
    uses_left = serializers.IntegerField(allow_null=True)


class CustomerGiftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class StampSerializer(serializers.Serializer):
    promotion = serializers.CharField()
    name = serializers.CharField()
    n = serializers.IntegerField()
    count = serializers.IntegerField()
    remaining = serializers.IntegerField()


class CustomerReferralsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Friends who joined with this customer's code")
    earned = serializers.IntegerField(help_text="Points earned from referrals, less what returns took back")


class CustomerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    phone = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()
    birthday = serializers.DateField(allow_null=True)
    gender = serializers.CharField()
    card_number = serializers.CharField()
    referral_code = serializers.CharField()
    created_at = serializers.DateTimeField()
    tier = TierRefSerializer(allow_null=True)
    tier_progress = TierProgressSerializer()
    balance = BalanceSerializer()
    expiring = ExpiringSerializer(many=True)
    offers = CustomerOfferSerializer(many=True, required=False, help_text="Live personal offers")
    gifts = CustomerGiftSerializer(many=True, required=False, help_text="Open material gifts")
    stamps = StampSerializer(many=True, required=False, help_text="Stamp cards: `remaining` purchases to the reward")
    referrals = CustomerReferralsSerializer(required=False)


class CustomerPatchSerializer(serializers.Serializer):
    """The fields `PATCH /api/v1/customers/<id>` accepts: those the apps register (loyalty.extensions.customer_field_register)."""

    def get_fields(self):
        from loyalty.extensions import customer_fields

        return {name: item.serializer_field() if item.serializer_field else serializers.JSONField(required=False)
                for name, item in customer_fields().items()}


class EntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    points = serializers.IntegerField()
    receipt = serializers.UUIDField(allow_null=True)
    description = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)


class DraftLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    name = serializers.CharField(required=False)
    category = serializers.CharField(required=False)
    quantity = serializers.CharField(help_text='A decimal string (or JSON number) above zero with at most 3 places, e.g. "2" or "0.350"; '
                                               'no exponent or separators')
    price = serializers.CharField(help_text='A decimal string (or JSON number) in the currency, e.g. "89.90"; no exponent or separators')


class DraftSerializer(serializers.Serializer):
    customer = serializers.UUIDField(required=False, help_text="Customer id; or send phone; or neither for an anonymous sale")
    phone = serializers.CharField(required=False)
    store = serializers.CharField(required=False, help_text="Store code; defaults to the key's store, else `main`")
    purchased_at = serializers.DateTimeField(required=False)
    lines = DraftLineSerializer(many=True)
    redeem_points = serializers.JSONField(required=False, help_text='An integer, "max", or 0')
    promo_codes = serializers.ListField(child=serializers.CharField(), required=False)
    explain = serializers.BooleanField(required=False, help_text="true: the response also lists `not_applied` promotions with the reason")


class CommitSerializer(DraftSerializer):
    number = serializers.CharField(max_length=64, help_text="The POS receipt number, unique per store")


class PricedLineSerializer(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.CharField()
    price = serializers.CharField()
    amount = serializers.CharField()
    discount = serializers.CharField()
    redeemed_points = serializers.IntegerField()
    redeemed_amount = serializers.CharField()
    total = serializers.CharField()
    accrued_points = serializers.IntegerField()


class AppliedSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name = serializers.CharField()
    detail = serializers.CharField()
    points = serializers.IntegerField(required=False)
    amount = serializers.CharField(required=False)
    promotion = serializers.CharField(required=False, help_text="kind promotion: the promotion's code")
    beneficiary = serializers.CharField(required=False, help_text="kind referrer_reward: who earns the points, a masked name (\"Alexander ••45\")")
    level = serializers.IntegerField(required=False, help_text="kind referrer_reward: 1 the referrer, 2 the referrer's referrer")
    not_credited = serializers.IntegerField(required=False, help_text="kind referrer_reward: points held back by the monthly cap")


class CodeStatusSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="As sent in promo_codes")
    status = serializers.ChoiceField(choices=["applied", "rejected"])
    reason = serializers.CharField(allow_null=True, help_text="promo_code_unknown, promo_code_expired, promo_code_used, "
                                                              "promo_code_not_yours or promo_code_not_applicable; null when applied")
    detail = serializers.CharField()


class NotAppliedSerializer(serializers.Serializer):
    promotion = serializers.CharField()
    name = serializers.CharField()
    reason = serializers.CharField(help_text="schedule, audience, conditions, limits, code or exclusive")
    detail = serializers.CharField()


class CalculationSerializer(serializers.Serializer):
    subtotal = serializers.CharField()
    discount = serializers.CharField()
    redeemed_points = serializers.IntegerField()
    redeemed_amount = serializers.CharField()
    total = serializers.CharField()
    accrued_points = serializers.IntegerField()
    max_redeem_points = serializers.IntegerField()
    lines = PricedLineSerializer(many=True)
    applied = AppliedSerializer(many=True)
    codes = CodeStatusSerializer(many=True, required=False, help_text="Each of the draft's promo_codes, when it sent any")
    not_applied = NotAppliedSerializer(many=True, required=False, help_text="With explain: true, every active promotion that did not apply")


class CommittedReceiptSerializer(CalculationSerializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    balance = BalanceSerializer(allow_null=True, help_text="The customer's new balance; null for an anonymous sale")


class StoredLineSerializer(PricedLineSerializer):
    name = serializers.CharField()
    category = serializers.CharField()
    returned_quantity = serializers.CharField()


class ReceiptSerializer(serializers.Serializer):
    """A stored receipt as read back: the figures of its commit, plus its store, customer and returns."""

    id = serializers.UUIDField()
    number = serializers.CharField()
    store = serializers.CharField(help_text="Store code")
    customer = serializers.UUIDField(allow_null=True, help_text="null for an anonymous sale")
    purchased_at = serializers.DateTimeField()
    subtotal = serializers.CharField()
    discount = serializers.CharField()
    redeemed_points = serializers.IntegerField()
    redeemed_amount = serializers.CharField()
    total = serializers.CharField()
    accrued_points = serializers.IntegerField()
    refunded_amount = serializers.CharField()
    points_reversed = serializers.IntegerField()
    points_returned = serializers.IntegerField()
    lines = StoredLineSerializer(many=True)
    applied = AppliedSerializer(many=True)


class PaginatedEntrySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EntrySerializer(many=True)


class RefundLineSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.CharField(help_text='Decimal string, e.g. "1" or "0.350"')


class RefundRequestSerializer(serializers.Serializer):
    lines = RefundLineSerializer(many=True, required=False)


class RefundSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    refunded_amount = serializers.CharField()
    points_reversed = serializers.IntegerField()
    points_returned = serializers.IntegerField()
    balance = BalanceSerializer(allow_null=True, help_text="The customer's new balance; null for an anonymous sale")

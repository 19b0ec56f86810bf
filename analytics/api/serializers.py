"""Response shapes of the reports (for the OpenAPI schema); the reports build plain dicts."""
from rest_framework import serializers

SHARE = {"help_text": "A share as a decimal string with 4 places, e.g. \"0.2500\""}


class PeriodFields(serializers.Serializer):
    from_ = serializers.DateField(help_text="First day (the merchant's date)")
    to = serializers.DateField(help_text="Last day, inclusive")
    store = serializers.CharField(allow_null=True, help_text="The store code, or null for every store")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class PointsSerializer(serializers.Serializer):
    accrued = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())
    redeemed = serializers.IntegerField()
    expired = serializers.IntegerField()
    donated = serializers.IntegerField()
    reversed = serializers.IntegerField()
    returned = serializers.IntegerField()
    other_debits = serializers.DictField(child=serializers.IntegerField())
    net_change = serializers.IntegerField()


class LiabilitySerializer(serializers.Serializer):
    points = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)


class DiscountsSerializer(serializers.Serializer):
    tier = serializers.DecimalField(max_digits=20, decimal_places=2)
    promotions = serializers.DecimalField(max_digits=20, decimal_places=2)
    agents = serializers.DecimalField(max_digits=20, decimal_places=2)
    gifts = serializers.DecimalField(max_digits=20, decimal_places=2)


class SeriesDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    accrued = serializers.IntegerField()
    redeemed = serializers.IntegerField()
    expired = serializers.IntegerField()
    liability = serializers.IntegerField()


class EconomicsSerializer(PeriodFields):
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    receipts = serializers.IntegerField()
    points = PointsSerializer()
    liability = LiabilitySerializer()
    redemption_rate = serializers.CharField(**SHARE)
    effective_discount_percent = serializers.DecimalField(max_digits=12, decimal_places=2)
    discounts = DiscountsSerializer()
    point_value = serializers.DecimalField(max_digits=10, decimal_places=2)
    series = SeriesDaySerializer(many=True, required=False, help_text="With ?series=1: per day")


class AverageCheckSerializer(serializers.Serializer):
    members = serializers.DecimalField(max_digits=20, decimal_places=2)
    anonymous = serializers.DecimalField(max_digits=20, decimal_places=2)


class CustomersSerializer(PeriodFields):
    members = serializers.IntegerField()
    new_members = serializers.IntegerField()
    buyers = serializers.IntegerField()
    repeat_buyers = serializers.IntegerField()
    previous_buyers = serializers.IntegerField()
    returning_buyers = serializers.IntegerField()
    purchases = serializers.IntegerField()
    crr = serializers.CharField(**SHARE)
    repeat_rate = serializers.CharField(**SHARE)
    frequency = serializers.CharField(help_text="Purchases per buyer, 4 places")
    average_check = AverageCheckSerializer()
    clv = serializers.DecimalField(max_digits=20, decimal_places=2)


class RetentionSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    offset = serializers.IntegerField(help_text="Months after joining; 0 is the month of joining")
    buyers = serializers.IntegerField()
    share = serializers.CharField(**SHARE)


class CohortSerializer(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM of joining")
    members = serializers.IntegerField()
    retention = RetentionSerializer(many=True)


class CohortsSerializer(PeriodFields):
    cohorts = CohortSerializer(many=True)


class PromotionRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    receipts = serializers.IntegerField()
    customers = serializers.IntegerField()
    discount = serializers.DecimalField(max_digits=20, decimal_places=2)
    points = serializers.IntegerField()
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)


class PromotionsSerializer(PeriodFields):
    promotions = PromotionRowSerializer(many=True)

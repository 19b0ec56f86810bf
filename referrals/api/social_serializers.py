"""Request and response shapes of the agents, families and charity API (input checks live in the services)."""
from rest_framework import serializers

from loyalty.api.serializers import BalanceSerializer


class FundSerializer(serializers.Serializer):
    code = serializers.RegexField(r"^[A-Za-z0-9_-]{1,32}$", max_length=32)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    active = serializers.BooleanField(required=False)


class FundPatchSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    active = serializers.BooleanField(required=False)


class FundReportSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    points = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="points × point_value, in the merchant's currency")
    donors = serializers.IntegerField(help_text="Distinct customers who gave")
    donations = serializers.IntegerField()


class DonationRequestSerializer(serializers.Serializer):
    fund = serializers.RegexField(r"^[A-Za-z0-9_-]{1,32}$", max_length=32)
    points = serializers.IntegerField(min_value=1, max_value=10_000_000)


class DonationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    fund = serializers.CharField()
    points = serializers.IntegerField()
    balance = BalanceSerializer()


class AgentTieRequestSerializer(serializers.Serializer):
    agent = serializers.UUIDField()
    client_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                                       allow_null=True)
    agent_points_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False,
                                                    allow_null=True)


class AgentTieSerializer(serializers.Serializer):
    client = serializers.UUIDField()
    agent = serializers.UUIDField()
    agent_name = serializers.CharField(help_text="The agent's name and the last two digits of their phone")
    agent_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    client_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    agent_points_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class FamilyAddSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    can_redeem = serializers.BooleanField(required=False)
    name = serializers.CharField(max_length=200, required=False, help_text="The name of a customer registered on the spot")


class FamilyMemberSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    phone = serializers.CharField()
    can_redeem = serializers.BooleanField()


class FamilySerializer(serializers.Serializer):
    owner = serializers.UUIDField()
    members = FamilyMemberSerializer(many=True)
    balance = BalanceSerializer()


class FamilyMemberPatchSerializer(serializers.Serializer):
    can_redeem = serializers.BooleanField()


class FamilyRefSerializer(serializers.Serializer):
    owner = serializers.UUIDField()
    role = serializers.ChoiceField(choices=["owner", "member"])


class FamilyBirthdaySerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    date = serializers.DateField()

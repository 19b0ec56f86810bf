"""Shapes of the program's `referral` section, for the OpenAPI schema (the service validates)."""
from rest_framework import serializers


class ReferralSettingsSerializer(serializers.Serializer):
    referee_welcome_bonus = serializers.IntegerField(allow_null=True, min_value=0, max_value=1_000_000,
                                                     help_text="The friend's welcome bonus instead of `welcome_bonus`; null = the same")
    referrer_bonus = serializers.IntegerField(min_value=0, max_value=1_000_000, help_text="Points to the referrer for a friend")
    referrer_bonus_on = serializers.ChoiceField(choices=["join", "first_purchase"],
                                                help_text="join: at once; first_purchase: when the friend's first receipt commits")
    referee_extra_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                     help_text="Extra accrual for the friend ...")
    referee_extra_purchases = serializers.IntegerField(allow_null=True, min_value=1, max_value=10_000,
                                                       help_text="... on their first N purchases; null = every purchase")
    referrer_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                help_text="Share of each of the friend's purchases (money paid) to the referrer")
    referrer_percent_purchases = serializers.IntegerField(allow_null=True, min_value=1, max_value=10_000,
                                                          help_text="null = every purchase; else the friend's first N")
    second_level_percent = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=100,
                                                    help_text="To the referrer's own referrer")
    monthly_cap = serializers.IntegerField(allow_null=True, min_value=1, max_value=100_000_000,
                                           help_text="Most points one referrer may earn from referrals per calendar month; null = no cap")


class ReferralSettingsPatchSerializer(ReferralSettingsSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False

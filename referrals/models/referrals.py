"""Referral rewards: the merchant's referral settings and every reward credited to a referrer.

Points are whole integers; percents are Decimal with 2 places. A merchant without a settings row
has every reward off (referrals.selectors.referral_settings_get returns the defaults).
"""
from django.db import models
from django.db.models import Q

from accounts.models import Customer, Merchant
from loyalty.models import Entry, Receipt

PERCENT = {"max_digits": 5, "decimal_places": 2}


class BonusOn(models.TextChoices):
    JOIN = "join", "join"
    FIRST_PURCHASE = "first_purchase", "first_purchase"


class ReferralSettings(models.Model):
    """What a referral earns, for the friend and for the customers who brought them (API `program.referral`)."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="referral_settings")
    # The friend's welcome bonus instead of the program's; null = the program's.
    referee_welcome_bonus = models.PositiveIntegerField(null=True, blank=True)
    referrer_bonus = models.PositiveIntegerField(default=0)
    referrer_bonus_on = models.CharField(max_length=16, choices=BonusOn.choices, default=BonusOn.JOIN)
    referee_extra_percent = models.DecimalField(default=0, **PERCENT)
    # On the friend's first N purchases; null = every purchase.
    referee_extra_purchases = models.PositiveIntegerField(null=True, blank=True)
    referrer_percent = models.DecimalField(default=0, **PERCENT)
    referrer_percent_purchases = models.PositiveIntegerField(null=True, blank=True)
    second_level_percent = models.DecimalField(default=0, **PERCENT)
    # Most points one referrer may earn from referrals per calendar month (merchant's timezone); null = no cap.
    monthly_cap = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(referee_extra_percent__gte=0, referee_extra_percent__lte=100)
                                   & Q(referrer_percent__gte=0, referrer_percent__lte=100)
                                   & Q(second_level_percent__gte=0, second_level_percent__lte=100),
                                   name="referral_settings_percents_0_100"),
        ]

    def __str__(self) -> str:
        return f"Referral settings of {self.merchant_id}"


class RewardKind(models.TextChoices):
    JOIN = "join", "join"
    PURCHASE = "purchase", "purchase"


class ReferralReward(models.Model):
    """Points credited to a referrer (level 1) or their own referrer (level 2) for a friend's joining or
    purchase. `points` is what was credited (after the monthly cap), `capped` what the cap held back,
    `reversed_points` what returns took back since."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    beneficiary = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="referral_rewards", db_index=False)
    friend = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+", db_index=False)
    receipt = models.ForeignKey(Receipt, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    kind = models.CharField(max_length=16, choices=RewardKind.choices)
    level = models.PositiveSmallIntegerField(default=1)
    points = models.PositiveIntegerField()
    capped = models.PositiveIntegerField(default=0)
    reversed_points = models.PositiveIntegerField(default=0)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["merchant", "beneficiary", "at"], name="refreward_beneficiary_at"),
            models.Index(fields=["merchant", "receipt"], name="refreward_receipt", condition=Q(receipt__isnull=False)),
            models.Index(fields=["merchant", "friend", "kind"], name="refreward_friend_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(reversed_points__lte=models.F("points")), name="refreward_reversed_within_points"),
        ]

    def __str__(self) -> str:
        return f"{self.points} to {self.beneficiary_id} ({self.kind}, level {self.level})"

"""Badges, the monthly leaderboard (opt-in) and the NPS survey."""
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Badge(models.Model):
    class Rule(models.TextChoices):
        FIRST_PURCHASE = "first_purchase", "first_purchase"
        PURCHASES = "purchases", "purchases"
        REFERRALS = "referrals", "referrals"
        SURVEY = "survey", "survey"

    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    rule = models.CharField(max_length=32, choices=Rule.choices)
    n = models.PositiveIntegerField(null=True, blank=True)  # purchases / referrals needed
    points = models.PositiveIntegerField(default=0)  # credited once on earning; 0 = none
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="badge_code_unique_per_merchant")]

    def __str__(self) -> str:
        return self.name


class CustomerBadge(models.Model):
    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False)
    badge = models.ForeignKey(Badge, on_delete=models.CASCADE, related_name="earned")
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="badges")
    earned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["badge", "customer"], name="badge_earned_once")]
        indexes = [models.Index(fields=["merchant", "customer"], name="customerbadge_customer")]


class LeaderboardSettings(models.Model):
    """Per merchant: whether the portal shows the monthly leaderboard and what it ranks by."""

    class Metric(models.TextChoices):
        SPEND = "spend", "spend"
        PURCHASES = "purchases", "purchases"

    merchant = models.OneToOneField("accounts.Merchant", on_delete=models.CASCADE, related_name="+")
    enabled = models.BooleanField(default=True)
    metric = models.CharField(max_length=16, choices=Metric.choices, default=Metric.PURCHASES)


class LeaderboardOptIn(models.Model):
    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.OneToOneField("accounts.Customer", on_delete=models.CASCADE, related_name="leaderboard_opt_in")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["merchant"], name="leaderboard_merchant")]


class SurveyResponse(models.Model):
    """An answer to "How likely are you to recommend us? 0–10", after a purchase."""

    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="survey_responses")
    receipt = models.ForeignKey("loyalty.Receipt", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__lte=10), name="survey_score_0_10"),
            models.UniqueConstraint(fields=["receipt"], condition=Q(receipt__isnull=False), name="survey_once_per_receipt"),
        ]
        indexes = [
            models.Index(fields=["merchant", "-at"], name="survey_merchant_at"),
            models.Index(fields=["merchant", "customer", "-at"], name="survey_customer_at"),
        ]

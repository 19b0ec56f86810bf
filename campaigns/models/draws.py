"""Prize draws: a commitment (SHA-256 of a secret seed) published before, the seed and winners after."""
from django.db import models
from django.utils import timezone


class Draw(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "scheduled"
        DONE = "done", "done"

    merchant = models.ForeignKey("accounts.Merchant", on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(max_length=64)
    name = models.CharField(max_length=200)
    segment = models.ForeignKey("campaigns.Segment", null=True, blank=True, on_delete=models.SET_NULL, related_name="draws")
    segment_code = models.CharField(max_length=64, blank=True)  # as named at creation (null segment = every member)
    winners = models.PositiveIntegerField()
    prize = models.JSONField(default=dict)  # {"points": 1000, "ttl_days": 30} | {"gift": {...}}
    draw_at = models.DateTimeField()
    # The secret seed is kept from every read until the draw runs; its SHA-256 is published at once.
    seed = models.CharField(max_length=64)
    commitment = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    run_at = models.DateTimeField(null=True, blank=True)
    participants = models.PositiveIntegerField(default=0)
    winner_ids = models.JSONField(default=list, blank=True)  # customer ids, best rank first
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="draw_code_unique_per_merchant")]
        indexes = [models.Index(fields=["status", "draw_at"], name="draw_due")]

    def __str__(self) -> str:
        return self.name


class DrawParticipant(models.Model):
    """The frozen list of participants at the moment the draw ran (published with the seed)."""

    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="participant_rows")
    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["draw", "customer"], name="draw_participant_once")]

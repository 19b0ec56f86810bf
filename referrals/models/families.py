"""Families: several customers share one balance, the owner's account."""
from django.db import models
from django.utils import timezone

from accounts.models import Customer, Merchant


class Family(models.Model):
    """A family and the customer whose points account holds the family balance."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    owner = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="owned_family")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["merchant", "created_at"], name="family_merchant_created")]

    def __str__(self) -> str:
        return f"Family of {self.owner_id}"


class FamilyMember(models.Model):
    """A member of one family (a customer belongs to at most one, as owner or member)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    family = models.ForeignKey(Family, on_delete=models.CASCADE, related_name="members", db_index=False)
    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="family_membership")
    can_redeem = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["family", "joined_at"], name="familymember_family_joined")]

    def __str__(self) -> str:
        return f"{self.customer_id} in {self.family_id}"


class FamilyBirthday(models.Model):
    """A family member's birthday on a customer's profile (`family_birthdays`), for birthday gifts."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="family_birthdays", db_index=False)
    name = models.CharField(max_length=100)
    date = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["merchant", "customer"], name="familybirthday_customer")]

    def __str__(self) -> str:
        return f"{self.name} {self.date}"

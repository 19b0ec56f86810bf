"""Joining the program: the customer, their points account and the welcome bonus, in one transaction."""
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer, Merchant, Store
from accounts.services import customer_create
from loyalty.models import EntryKind, PointsAccount
from loyalty.services.ledger import points_credit
from loyalty.services.tiers import tier_base
from loyalty.texts import message


@transaction.atomic
def customer_join(*, merchant: Merchant, phone: str, store: Store | None = None, at=None, **profile) -> Customer:
    """Register a customer and credit the program's welcome bonus, available at once.

    Raises:
        ValidationError: bad phone or unknown referral code.
        Conflict: customer_exists.
    """
    at = at or timezone.now()
    customer = customer_create(merchant=merchant, phone=phone, store=store, created_at=at, **profile)
    base = tier_base(merchant=merchant)
    account = PointsAccount.objects.create(customer=customer, merchant=merchant, tier=base, tier_since=at if base else None)
    program = merchant.program
    if program.welcome_bonus > 0:
        points_credit(
            customer=customer, account=account, kind=EntryKind.WELCOME, points=program.welcome_bonus,
            text=message("entry.welcome"), at=at, ttl_days=program.welcome_bonus_ttl_days,
        )
    return customer

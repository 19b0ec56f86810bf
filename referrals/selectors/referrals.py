"""Reads of referral settings and rewards; every selector takes the merchant first."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum

from accounts.models import Customer, Merchant
from loyalty.models import Entry, EntryKind, Receipt
from referrals.models import BonusOn, ReferralReward, ReferralSettings

ZERO = Decimal("0")


def referral_settings_default(*, merchant: Merchant) -> ReferralSettings:
    """Every reward off: what a merchant has until the settings are first saved."""
    return ReferralSettings(merchant=merchant, referee_welcome_bonus=None, referrer_bonus=0, referrer_bonus_on=BonusOn.JOIN,
                            referee_extra_percent=ZERO, referee_extra_purchases=None, referrer_percent=ZERO,
                            referrer_percent_purchases=None, second_level_percent=ZERO, monthly_cap=None)


def referral_settings_get(*, merchant: Merchant) -> ReferralSettings:
    found = ReferralSettings.objects.filter(merchant=merchant).first()
    return found if found is not None else referral_settings_default(merchant=merchant)


def referral_settings_active(settings: ReferralSettings) -> bool:
    """True when any reward is on (a merchant with all off needs no work at checkout)."""
    return bool(settings.referee_welcome_bonus is not None or settings.referrer_bonus or settings.referee_extra_percent
                or settings.referrer_percent or settings.second_level_percent)


def month_bounds(*, at: datetime, timezone_name: str) -> tuple[datetime, datetime]:
    """The calendar month of `at` in the merchant's timezone, as [start, end)."""
    local = at.astimezone(ZoneInfo(timezone_name))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def referral_earned_in_month(*, merchant: Merchant, beneficiary_ids: list, at: datetime) -> dict:
    """{beneficiary id: points credited from referrals in the calendar month of `at`} (what the monthly cap counts)."""
    if not beneficiary_ids:
        return {}
    start, end = month_bounds(at=at, timezone_name=merchant.timezone)
    rows = (ReferralReward.objects.filter(merchant=merchant, beneficiary_id__in=beneficiary_ids, at__gte=start, at__lt=end)
            .values("beneficiary_id").annotate(total=Sum("points")))
    return {row["beneficiary_id"]: row["total"] or 0 for row in rows}


def purchases_count(*, merchant: Merchant, customer: Customer) -> int:
    """The customer's purchases so far: committed receipts not returned in full."""
    return Receipt.objects.filter(merchant=merchant, customer=customer, fully_refunded=False).count()


def referred_friends(*, merchant: Merchant) -> QuerySet[Customer]:
    """The merchant's customers who joined with a referrer's code (their `referred_by`): the friends referrals counts."""
    return Customer.objects.filter(merchant=merchant, referred_by__isnull=False, referred_by__merchant=merchant)


def referrers_with_at_least(*, merchant: Merchant, friends: int) -> QuerySet:
    """The ids (`referred_by_id`) of the customers who brought at least `friends` friends: a subquery, for
    `pk__in`, counting exactly what `referral_summary` counts."""
    return (referred_friends(merchant=merchant).order_by().values("referred_by_id").annotate(n=Count("id"))
            .filter(n__gte=friends).values("referred_by_id"))


def referral_summary(*, merchant: Merchant, customer: Customer) -> dict:
    """The customer read's `referrals`: friends brought and points earned from referrals (net of returns)."""
    count = referred_friends(merchant=merchant).filter(referred_by=customer).count()
    earned = Entry.objects.filter(merchant=merchant, customer=customer, kind=EntryKind.REFERRAL).aggregate(total=Sum("points"))["total"] or 0
    return {"count": count, "earned": earned}


def masked_name(customer: Customer) -> str:
    """How a referrer sees a friend (and a receipt sees a referrer): the name and the phone's last two digits."""
    digits = "".join(ch for ch in customer.phone if ch.isdigit())[-2:]
    name = (customer.name or "").strip()
    return f"{name} ••{digits}" if name else f"••{digits}"

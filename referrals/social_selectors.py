"""Reads of agents, families and charity. Every selector takes the merchant and filters by it first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, QuerySet, Sum

from accounts.models import Merchant
from referrals.models import Donation, Fund


def fund_list(*, merchant: Merchant, active_only: bool = False) -> QuerySet[Fund]:
    funds = Fund.objects.filter(merchant=merchant)
    if active_only:
        funds = funds.filter(active=True)
    return funds.order_by("name", "code")


def fund_get(*, merchant: Merchant, code: str) -> Fund | None:
    if not isinstance(code, str) or len(code) > 32:
        return None
    return Fund.objects.filter(merchant=merchant, code=code).first()


def day_bounds(*, merchant: Merchant, start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """The moments that open `start` and close `end` (inclusive) in the merchant's timezone."""
    zone = ZoneInfo(merchant.timezone)
    low = datetime.combine(start, time.min, tzinfo=zone) if start else None
    high = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
    return low, high


@dataclass(frozen=True)
class FundReport:
    points: int
    amount: Decimal
    donors: int
    donations: int


def fund_report(*, merchant: Merchant, fund: Fund, start: date | None = None, end: date | None = None) -> FundReport:
    """What a fund collected between the merchant's dates `start` and `end` (inclusive): one aggregate."""
    low, high = day_bounds(merchant=merchant, start=start, end=end)
    donations = Donation.objects.filter(merchant=merchant, fund=fund)
    if low is not None:
        donations = donations.filter(at__gte=low)
    if high is not None:
        donations = donations.filter(at__lt=high)
    sums = donations.aggregate(points=Sum("points"), amount=Sum("amount"), donors=Count("customer", distinct=True), donations=Count("id"))
    return FundReport(points=sums["points"] or 0, amount=sums["amount"] or Decimal("0"), donors=sums["donors"], donations=sums["donations"])


def fund_totals(*, merchant: Merchant) -> dict[int, FundReport]:
    """Every fund's all-time totals by fund id, in one grouped query (the funds list)."""
    rows = (Donation.objects.filter(merchant=merchant).values("fund_id")
            .annotate(points=Sum("points"), amount=Sum("amount"), donors=Count("customer", distinct=True), donations=Count("id")))
    return {row["fund_id"]: FundReport(points=row["points"], amount=row["amount"], donors=row["donors"], donations=row["donations"])
            for row in rows}


# ---------------------------------------------------------------- families


def family_holder(customer):
    """loyalty's account holder resolver: a family member uses the owner's account (one query)."""
    from loyalty.extensions import AccountHolder

    from referrals.models import FamilyMember

    row = FamilyMember.objects.filter(customer_id=customer.pk).select_related("family__owner").only(
        "can_redeem", "family__owner").first()
    if row is None:
        return None
    return AccountHolder(customer=row.family.owner, may_redeem=row.can_redeem)


@dataclass(frozen=True)
class FamilyView:
    owner: object  # Customer
    members: list  # FamilyMember rows with their customer
    role: str  # the asking customer's: "owner" or "member"


def family_of(*, merchant: Merchant, customer) -> FamilyView | None:
    """The family the customer belongs to, as owner or member, with its members; None if none."""
    from referrals.models import Family, FamilyMember

    membership = FamilyMember.objects.filter(merchant=merchant, customer=customer).select_related("family__owner").first()
    if membership is not None:
        family, role = membership.family, "member"
    else:
        family = Family.objects.filter(merchant=merchant, owner=customer).select_related("owner").first()
        role = "owner"
        if family is None:
            return None
    members = list(FamilyMember.objects.filter(merchant=merchant, family=family).select_related("customer").order_by("joined_at", "id"))
    return FamilyView(owner=family.owner, members=members, role=role)


def family_member_get(*, merchant: Merchant, owner, member_id):
    from accounts.selectors import uuid_parse
    from referrals.models import FamilyMember

    uid = uuid_parse(member_id)
    if uid is None:
        return None
    return FamilyMember.objects.filter(merchant=merchant, family__owner=owner, customer_id=uid).select_related("customer").first()


def family_birthdays_of(*, merchant: Merchant, customer) -> list[dict]:
    from referrals.models import FamilyBirthday

    return [{"name": row.name, "date": row.date.isoformat()}
            for row in FamilyBirthday.objects.filter(merchant=merchant, customer=customer).order_by("date", "id")]


# ---------------------------------------------------------------- agents


def agent_list(*, merchant: Merchant):
    """Agents with their client count, newest first (one query)."""
    from referrals.models import Agent

    return (Agent.objects.filter(merchant=merchant).select_related("customer").annotate(client_count=Count("clients"))
            .order_by("-since", "-id"))


def agent_get(*, merchant: Merchant, customer_id):
    from accounts.selectors import uuid_parse
    from referrals.models import Agent

    uid = uuid_parse(customer_id)
    if uid is None:
        return None
    return Agent.objects.filter(merchant=merchant, customer_id=uid).select_related("customer").first()


def agent_clients(*, merchant: Merchant, agent):
    from referrals.models import AgentClient

    return AgentClient.objects.filter(merchant=merchant, agent=agent).select_related("client", "agent").order_by("-since", "-id")


def agent_earnings_by_month(*, merchant: Merchant, agent_ids: list[str], months: int = 12) -> dict[str, list[dict]]:
    """What each agent earned (net of returns) per calendar month in the merchant's timezone, newest first,
    for the last `months` months: one grouped query over the `agent` entries."""
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from loyalty.models import Entry

    zone = ZoneInfo(merchant.timezone)
    since = (timezone.now().astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (Entry.objects.filter(merchant=merchant, kind="agent", at__gte=since, description_params__agent__in=agent_ids)
            .annotate(month=TruncMonth("at", tzinfo=zone)).values("description_params__agent", "month")
            .annotate(points=Sum("points")).order_by("-month"))
    out: dict[str, list[dict]] = {agent_id: [] for agent_id in agent_ids}
    for row in rows:
        # The first moment of the month in the merchant's timezone, as a date (templates show it as is).
        out.setdefault(row["description_params__agent"], []).append({"month": row["month"].astimezone(zone).date(), "points": row["points"]})
    return out

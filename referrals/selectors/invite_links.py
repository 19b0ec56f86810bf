"""Reads of invite links and the per-link report; every selector takes the merchant first."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.db import connection

from accounts.models import Merchant
from loyalty.money import currency_quantum
from referrals.models import InviteLink

CONVERSION_QUANTUM = Decimal("0.0001")
ZERO = Decimal("0")


def invite_link_list(*, merchant: Merchant):
    return InviteLink.objects.filter(merchant=merchant).order_by("-created_at", "code")


def invite_link_get(*, merchant: Merchant, code) -> InviteLink | None:
    if not isinstance(code, str) or not code or len(code) > 64:
        return None
    return InviteLink.objects.filter(merchant=merchant, code=code.strip().lower()).first()


@dataclass(frozen=True)
class LinkReport:
    """One link's funnel. Money at the currency's precision, rounded half up; conversion with 4 places."""

    code: str
    name: str
    channel: str
    signups: int
    buyers: int
    purchases: int
    revenue: Decimal
    average_check: Decimal | None
    conversion: Decimal
    cost: Decimal | None
    cost_per_buyer: Decimal | None

    def as_dict(self) -> dict:
        def text(value):
            return None if value is None else str(value)

        return {"code": self.code, "name": self.name, "channel": self.channel, "signups": self.signups, "buyers": self.buyers,
                "purchases": self.purchases, "revenue": str(self.revenue), "average_check": text(self.average_check),
                "conversion": str(self.conversion), "cost": text(self.cost), "cost_per_buyer": text(self.cost_per_buyer)}


def _bounds(*, merchant: Merchant, date_from: date | None, date_to: date | None) -> tuple[datetime | None, datetime | None]:
    """The merchant's dates, inclusive, as UTC moments [start, end)."""
    zone = ZoneInfo(merchant.timezone)
    start = datetime.combine(date_from, time.min, tzinfo=zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=zone) if date_to else None
    return start, end


def _aggregate(*, merchant: Merchant, date_from: date | None, date_to: date | None, link_id: int | None) -> dict:
    """{link id: (signups, buyers, purchases, revenue)} in one statement over the sign-ups in the period, whose
    `purchases` and `revenue` are kept from their receipts (referrals.services.invite_links.invite_signup_recount)."""
    start, end = _bounds(merchant=merchant, date_from=date_from, date_to=date_to)
    where = ["s.merchant_id = %s"]
    params: list = [merchant.pk]
    if start is not None:
        where.append("s.joined_at >= %s")
        params.append(connection.ops.adapt_datetimefield_value(start))
    if end is not None:
        where.append("s.joined_at < %s")
        params.append(connection.ops.adapt_datetimefield_value(end))
    if link_id is not None:
        where.append("s.link_id = %s")
        params.append(link_id)
    sql = f"""
        SELECT s.link_id, COUNT(*), COUNT(*) FILTER (WHERE s.purchases > 0), COALESCE(SUM(s.purchases), 0), COALESCE(SUM(s.revenue), 0)
        FROM referrals_invitesignup s
        WHERE {" AND ".join(where)}
        GROUP BY s.link_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: (int(row[1]), int(row[2]), int(row[3]), Decimal(str(row[4]))) for row in cursor.fetchall()}


def _row(link: InviteLink, figures, *, quantum: Decimal) -> LinkReport:
    signups, buyers, purchases, revenue = figures or (0, 0, 0, ZERO)
    revenue = revenue.quantize(quantum, rounding=ROUND_HALF_UP)
    return LinkReport(
        code=link.code, name=link.name, channel=link.channel, signups=signups, buyers=buyers, purchases=purchases, revenue=revenue,
        average_check=(revenue / purchases).quantize(quantum, rounding=ROUND_HALF_UP) if purchases else None,
        conversion=(Decimal(buyers) / Decimal(signups)).quantize(CONVERSION_QUANTUM, rounding=ROUND_HALF_UP) if signups else ZERO.quantize(CONVERSION_QUANTUM),
        cost=link.cost.quantize(quantum) if link.cost is not None else None,
        cost_per_buyer=(link.cost / buyers).quantize(quantum, rounding=ROUND_HALF_UP) if link.cost is not None and buyers else None,
    )


def invite_link_report(*, merchant: Merchant, link: InviteLink, date_from: date | None = None, date_to: date | None = None) -> LinkReport:
    figures = _aggregate(merchant=merchant, date_from=date_from, date_to=date_to, link_id=link.pk)
    return _row(link, figures.get(link.pk), quantum=currency_quantum(merchant.currency))


def invite_links_report(*, merchant: Merchant, date_from: date | None = None, date_to: date | None = None) -> list[LinkReport]:
    """One row per link (links without sign-ups too), newest link first."""
    figures = _aggregate(merchant=merchant, date_from=date_from, date_to=date_to, link_id=None)
    quantum = currency_quantum(merchant.currency)
    return [_row(link, figures.get(link.pk), quantum=quantum) for link in invite_link_list(merchant=merchant)]

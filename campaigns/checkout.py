"""What campaigns plugs into loyalty's checkout and customer read (registered in CampaignsConfig.ready())."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone

from loyalty.extensions import CommitRecord

NAME = "campaigns"


def campaigns_after_commit(record: CommitRecord) -> None:
    """Inside the commit's transaction: the purchase badges the customer now meets (points once)."""
    if record.customer is None:
        return
    from campaigns.models import Badge
    from campaigns.services.badges import badges_award

    badges_award(customer=record.customer, rules=(Badge.Rule.FIRST_PURCHASE, Badge.Rule.PURCHASES), now=timezone.now())


def customer_read(*, merchant, customer) -> dict:
    """`badges` in the customer read: [{"code", "name", "earned_at"}]."""
    from campaigns.services.badges import customer_badges

    zone = ZoneInfo(merchant.timezone)
    return {"badges": [{"code": row["code"], "name": row["name"], "earned_at": row["earned_at"].astimezone(zone).isoformat()}
                       for row in customer_badges(merchant=merchant, customer=customer)]}

"""What the customer sees of campaigns on the portal home: the NPS question after a purchase, their
badges, and the monthly leaderboard they may join. Registered from CampaignsConfig.ready(); read for
the signed-in customer of the portal's merchant only."""
from __future__ import annotations

from django.utils import timezone

from campaigns import selectors
from campaigns.models import LeaderboardOptIn
from campaigns.services.badges import customer_badges
from campaigns.services.surveys import survey_pending
from loyalty.extensions import PortalSection, portal_section_register


def section_context(request, customer) -> dict:
    merchant = getattr(request, "merchant", None)
    if customer is None or merchant is None or customer.merchant_id != merchant.pk:
        return {"club": None}
    now = timezone.now()
    settings = selectors.leaderboard_settings(merchant=merchant)
    board = None
    if settings.enabled:
        metric, rows = selectors.leaderboard_month(merchant=merchant, now=now)
        board = {"metric": metric, "rows": rows, "joined": LeaderboardOptIn.objects.filter(customer=customer).exists()}
    return {"club": {
        "survey_receipt": survey_pending(merchant=merchant, customer=customer, now=now),
        "badges": customer_badges(merchant=merchant, customer=customer),
        "any_badges": selectors.badge_list(merchant=merchant).filter(active=True).exists(),
        "board": board,
        "scores": range(11),
    }}


def register() -> None:
    # The NPS question right under the messages; badges and the leaderboard above the history.
    portal_section_register(PortalSection("campaigns_survey", "campaigns/portal/_survey.html", context=section_context, order=15))
    portal_section_register(PortalSection("campaigns_club", "campaigns/portal/_section.html", context=section_context, order=85))

"""What the customer sees of promotions on the portal home: their offers with end dates, gifts waiting
at the till, stamp cards with progress, and the personal codes bound to them. Registered from
PromotionsConfig.ready(); everything is read for the signed-in customer of the portal's merchant only."""
from __future__ import annotations

from django.utils import timezone

from loyalty.extensions import PortalSection, portal_section_register
from promotions import selectors
from promotions.counter.panel import stamp_dots


def section_context(request, customer) -> dict:
    empty = {"my_offers": [], "my_gifts": [], "my_stamps": [], "my_codes": []}
    merchant = getattr(request, "merchant", None)
    if customer is None or merchant is None or customer.merchant_id != merchant.pk:
        return empty
    now = timezone.now()
    return {
        "my_offers": list(selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now)),
        "my_gifts": list(selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=now)),
        "my_stamps": [{"card": card, "dots": stamp_dots(card)}
                      for card in selectors.stamp_list_for_customer(merchant=merchant, customer=customer, now=now)],
        "my_codes": list(selectors.code_list_for_customer(merchant=merchant, customer=customer, now=now)),
    }


def register() -> None:
    portal_section_register(PortalSection("promotions", "promotions/portal/_section.html", context=section_context, order=25))

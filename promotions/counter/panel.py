"""What the cashier sees of promotions: a part of the counter's customer panel with the gifts waiting
at the till, the customer's live offers and their stamp cards. Registered from PromotionsConfig.ready()."""
from __future__ import annotations

from django.utils import timezone

from loyalty.extensions import PanelPart, counter_panel_register
from promotions import selectors

PANEL_ITEMS = 5  # of each kind; the panel stays compact on a 1366×768 till


def stamp_dots(card) -> list[bool]:
    """One entry per stamp of the card: True for the stamps collected."""
    return [index < card.count for index in range(card.n)]


def panel_context(request, customer) -> dict:
    merchant = request.merchant
    if customer is None or customer.merchant_id != merchant.pk:
        return {"promo_gifts": [], "promo_offers": [], "promo_stamps": []}
    now = timezone.now()
    gifts = list(selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=now)[:PANEL_ITEMS])
    offers = list(selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now)[:PANEL_ITEMS])
    stamps = [{"card": card, "dots": stamp_dots(card)}
              for card in selectors.stamp_list_for_customer(merchant=merchant, customer=customer, now=now)[:PANEL_ITEMS]]
    return {"promo_gifts": gifts, "promo_offers": offers, "promo_stamps": stamps}


def register() -> None:
    counter_panel_register(PanelPart("promotions", "promotions/counter/_panel.html", context=panel_context, order=40))

"""What the cashier sees of agents and families: a part of the counter's customer panel (registered
from referrals.social): the client's agent and split, the family and the customer's rights in it."""
from __future__ import annotations

from loyalty.texts import masked_name


def panel_context(request, customer) -> dict:
    from referrals.models import AgentClient
    from referrals.services.agents import tie_split
    from referrals.social_selectors import family_of

    merchant = request.merchant
    if customer is None or customer.merchant_id != merchant.pk:
        return {"social_family": None, "social_agent": None}
    family = family_of(merchant=merchant, customer=customer)
    own = next((row for row in family.members if row.customer_id == customer.pk), None) if family else None
    tie = AgentClient.objects.filter(merchant=merchant, client=customer).select_related("agent__customer").first()
    agent = None
    if tie is not None:
        discount, points = tie_split(tie)
        agent = {"name": masked_name(tie.agent.customer), "discount": discount}
    return {
        "social_family": {"owner": masked_name(family.owner), "role": family.role, "size": len(family.members) + 1,
                          "can_redeem": family.role == "owner" or (own is not None and own.can_redeem)} if family else None,
        "social_agent": agent,
    }

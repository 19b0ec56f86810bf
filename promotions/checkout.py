"""What promotions plug into loyalty's checkout (registered in PromotionsConfig.ready()): the context
loader, the after-commit writer and the after-refund reverser. The pricing steps are in
`promotions.pipeline`; the database work is in `promotions.services.checkout`.
"""
from __future__ import annotations

from django.utils import timezone

from accounts.errors import ApplicationError
from loyalty import selectors as loyalty_selectors
from loyalty.extensions import CommitRecord, LoadRequest, RefundRecord
from loyalty.texts import text_render
from promotions import pipeline, selectors
from promotions.audience import segments_holding
from promotions.services.checkout import (
    GrantRecord,
    UseRecord,
    checkout_commit_record,
    checkout_refund_reverse,
    checkout_state_gather,
)
from promotions.specs import CODE_REJECTED, CODE_VALID, CodeLookup, Gift, Offer, PromotionsState, spec_from_dict

NAME = pipeline.NAME

def promotions_load(request: LoadRequest) -> PromotionsState:
    """Gather, once per calculation, what the promotion steps judge; at commit the rows that must not be
    overspent are locked (see promotions.services.checkout)."""
    merchant, customer, draft = request.merchant, request.customer, request.draft
    tier = None
    if customer is not None:
        found = loyalty_selectors.customer_tier_get(merchant=merchant, customer=customer)
        tier = found.code if found else None
    gathered = checkout_state_gather(merchant=merchant, customer=customer, purchased_at=draft.purchased_at, codes=draft.promo_codes,
                                     tier=tier, for_commit=request.for_commit)
    # One query for the given customer: which of the segments the live promotions name hold them.
    named = {code for item in gathered.promotions for code in ((item.get("audience") or {}).get("segments") or ())}
    segments = segments_holding(merchant=merchant, customer=customer, codes=named, now=draft.purchased_at) if named else set()
    return PromotionsState(
        promotions=tuple(spec_from_dict(item, customer_uses=gathered.customer_uses.get(item["code"], 0)) for item in gathered.promotions),
        segments=frozenset(segments),
        purchased_at=draft.purchased_at,
        timezone=merchant.timezone,
        customer=str(customer.pk) if customer is not None else None,
        tier=tier,
        offers={code: Offer(promotion=code, uses_left=offer.uses_left, ends_at=offer.ends_at) for code, offer in gathered.offers.items()},
        stamps=gathered.stamps,
        previous_purchase=gathered.previous_purchase,
        first_purchase=gathered.first_purchase,
        codes=tuple(CodeLookup(code=item.code, status=CODE_VALID if item.reason is None else CODE_REJECTED, promotion=item.promotion,
                               reason=item.reason) for item in gathered.codes),
        gifts=tuple(Gift(id=str(gift.pk), name=gift.name, sku=gift.sku, quantity=gift.quantity) for gift in gathered.gifts),
    )


def promotions_after_commit(record: CommitRecord) -> None:
    """Inside the commit: refuse a rejected code (422, its reason as the code, nothing written), else record
    the uses, close codes and gifts, and grant the offers unlocked."""
    outcome = record.calculation.outcomes.get(NAME)
    if outcome is None:
        return
    if outcome.rejected:
        first = outcome.rejected[0]
        detail = text_render(f"promo_code.{first.reason}", {"promo_code": first.code}, fallback=first.reason)
        raise ApplicationError(first.reason, detail, status=422, fields={"promo_codes": [detail]})
    checkout_commit_record(
        merchant=record.merchant, customer=record.customer, receipt=record.receipt, now=record.receipt.created_at,
        uses=[UseRecord(promotion=use.promotion, amount=use.amount, points=use.points, codes=use.codes, offer=use.offer)
              for use in outcome.uses],
        gifts=[gift.gift for gift in outcome.gifts],
        grants=[GrantRecord(promotion=grant.promotion, days=grant.days, uses=grant.uses) for grant in outcome.offers],
    )


def promotions_after_refund(record: RefundRecord) -> None:
    checkout_refund_reverse(merchant=record.merchant, receipt=record.receipt, fully_returned=record.fully_returned, now=record.refund.at)


def customer_read(*, merchant, customer) -> dict:
    """The customer read's `offers`, `gifts` and `stamps` (API.md)."""
    from zoneinfo import ZoneInfo

    from loyalty.money import quantity_text

    now = timezone.now()
    zone = ZoneInfo(merchant.timezone)
    return {
        "offers": [{"promotion": offer.promotion.code, "name": offer.promotion.name,
                    "ends_at": offer.ends_at.astimezone(zone).isoformat() if offer.ends_at else None, "uses_left": offer.uses_left}
                   for offer in selectors.offer_list_for_customer(merchant=merchant, customer=customer, now=now)],
        "gifts": [{"id": gift.pk, "name": gift.name, "sku": gift.sku, "quantity": quantity_text(gift.quantity),
                   "expires_at": gift.expires_at.astimezone(zone).isoformat() if gift.expires_at else None}
                  for gift in selectors.gift_list_for_customer(merchant=merchant, customer=customer, now=now)],
        "stamps": [stamps.as_dict() for stamps in selectors.stamp_list_for_customer(merchant=merchant, customer=customer, now=now)],
    }

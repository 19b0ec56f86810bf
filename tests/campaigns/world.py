"""A small, hand-counted world for segment tests: four customers of one merchant and one of another.

Today is 2026-06-15 in Moscow (now = 12:00 UTC). What each one is, counted by hand:

         gender age  birthday in  joined (days ago)  last purchase (days)  purchases spend    avg      balance  tier    consent      invite (channel)
  ann    m      36   0 (today)    2026-01-01 (165)   2026-06-01 (14)       2         3000.00  1500.00  500      base    email,push   summer (poster)
  bea    f      25   1            2025-06-15 (365)   2025-10-01 (257)      1         500.00   500.00   0        gold    sms          winter (flyer)**
  cat    -      -    -            2026-06-05 (10)    never (10)            0         0        -        0        base    -            -***
  dan    f      46   259 (29 Feb) 2020-01-01 (2357)  2026-06-14 (1)        5         500.00   100.00   -40      silver* push         spring (instagram)
  (*dan: recorded tier gold, a staff override to silver.)
  (**bea typed "  WINTER" when joining: the link she joined through is "winter".)
  (***cat's profile carries a typed code "summer" (an import, say) but no sign-up through a link: she joined through none.)

Receipts: ann bought MILK (dairy) on 06-01 for 1000.00 and TENT (camping) on 03-01 for 3000.00 of which
1000.00 worth was returned; bea bought BREAD (bakery) on 2025-10-01 for 500.00 and MILK on 06-10 for
9000.00, returned in full (ignored everywhere); dan bought CHEW (pets) 5 times in the last 5 days, 100.00
each. A customer of another merchant matches every rule and is never counted.
"""
from datetime import date, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from accounts.models import Customer
from loyalty.models import Lot, PointsAccount, Receipt, ReceiptLine, Tier
from loyalty.services.ledger import points_earn
from referrals.services.invite_links import invite_link_create
from tests.factories import MerchantFactory, customer_create, program_set


NOW = datetime(2026, 6, 15, 12, 0, tzinfo=dt_timezone.utc)


def _receipt(customer, number, at, amount, *, sku, category, refunded_cost="0", fully_refunded=False):
    amount = Decimal(amount)
    receipt = Receipt.objects.create(
        merchant=customer.merchant, store=customer.merchant.stores.get(code="main"), customer=customer, number=number,
        purchased_at=at, subtotal=amount, discount=Decimal("0"), redeemed_amount=Decimal("0"), total=amount,
        refunded_cost=Decimal(refunded_cost), refunded_amount=Decimal(refunded_cost), fully_refunded=fully_refunded,
    )
    ReceiptLine.objects.create(receipt=receipt, merchant=customer.merchant, position=1, sku=sku, category=category,
                               quantity=Decimal("1"), price=amount, amount=amount, discount=Decimal("0"),
                               redeemed_amount=Decimal("0"), total=amount,
                               returned_quantity=Decimal("1") if fully_refunded else Decimal("0"))
    return receipt


def _at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt_timezone.utc)


def build_world():
    merchant = MerchantFactory()
    program_set(merchant, welcome_bonus=0)
    gold = Tier.objects.create(merchant=merchant, code="gold", name="Gold", rank=3)
    silver = Tier.objects.create(merchant=merchant, code="silver", name="Silver", rank=2)
    # Ann and Dan joined through invite links: the links must exist (an unknown one refuses the join).
    for code, channel in (("summer", "poster"), ("spring", "instagram"), ("winter", "flyer"), ("autumn", "poster")):
        invite_link_create(merchant=merchant, data={"code": code, "name": code.title(), "channel": channel})

    ann = customer_create(merchant, name="Ann", gender="m", birthday=date(1990, 6, 15), at=_at(date(2026, 1, 1)),
                          consent_email=True, consent_sms=False, invite="summer")
    bea = customer_create(merchant, name="Bea", gender="f", birthday=date(2000, 6, 16), at=_at(date(2025, 6, 15)),
                          consent_email=False, consent_sms=True, invite="  WINTER")
    cat = customer_create(merchant, name="Cat", at=_at(date(2026, 6, 5)), consent_email=False, consent_sms=False)
    dan = customer_create(merchant, name="Dan", gender="f", birthday=date(1980, 2, 29), at=_at(date(2020, 1, 1)),
                          consent_email=False, consent_sms=False, invite="spring")

    Customer.objects.filter(pk__in=[bea.pk, cat.pk]).update(consent_push=False)
    Customer.objects.filter(pk=cat.pk).update(invite_code="summer")
    _receipt(ann, "A1", _at(date(2026, 6, 1)), "1000.00", sku="MILK", category="dairy")
    _receipt(ann, "A2", _at(date(2026, 3, 1)), "3000.00", sku="TENT", category="camping", refunded_cost="1000.00")
    _receipt(bea, "B1", _at(date(2025, 10, 1)), "500.00", sku="BREAD", category="bakery")
    _receipt(bea, "B2", _at(date(2026, 6, 10)), "9000.00", sku="MILK", category="dairy", refunded_cost="9000.00", fully_refunded=True)
    for index in range(5):
        _receipt(dan, f"D{index}", NOW - timedelta(days=index, hours=10), "100.00", sku="CHEW", category="pets")

    points_earn(customer=ann, kind="bonus", points=500, ttl_days=None, at=NOW - timedelta(days=3))
    # dan owes 40 points a return took back after he had spent them.
    PointsAccount.objects.filter(customer=dan).update(debt=40, tier=gold, override_tier=silver)
    PointsAccount.objects.filter(customer=bea).update(tier=gold)
    assert not Lot.objects.filter(customer__in=[bea, cat, dan]).exists()

    other = MerchantFactory()
    invite_link_create(merchant=other, data={"code": "summer", "name": "Summer", "channel": "poster"})
    stranger = customer_create(other, name="Stranger", gender="f", birthday=date(1990, 6, 15), at=_at(date(2026, 1, 1)),
                               consent_email=True, consent_sms=True, invite="summer")
    _receipt(stranger, "X1", _at(date(2026, 6, 1)), "1000.00", sku="MILK", category="dairy")
    return merchant, {customer.name.lower(): customer for customer in (ann, bea, cat, dan)}


def names(queryset) -> set[str]:
    return {name.lower() for name in queryset.values_list("name", flat=True)}


__all__ = ["NOW", "Customer", "build_world", "names"]

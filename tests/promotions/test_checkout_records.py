"""What promotions read and write around a checkout: the gathered state, the commit's guarded records, a return's reversal."""
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.errors import ApplicationError
from accounts.models import Store
from loyalty.checkout import Draft, DraftLine
from loyalty.services import receipt_commit
from promotions import services
from promotions.models import Gift, Offer, PromoCode, Promotion, PromotionUse
from promotions.services.checkout import (
    GrantRecord,
    UseRecord,
    checkout_commit_record,
    checkout_refund_reverse,
    checkout_state_gather,
    codes_judge,
    promotions_compiled,
)
from tests.factories import MerchantFactory, customer_create

pytestmark = pytest.mark.django_db


def promotion_make(merchant, code="milk", **fields):
    """A promotion whose target the receipts of these tests never hold, so only the records written here count."""
    return services.promotion_create(merchant=merchant, data={"code": code, "name": code.title(), "target": {"skus": ["ELSEWHERE"]},
                                                              "effects": [{"type": "percent_off", "value": "10"}], **fields})


def commit(merchant, customer, *, number, price="100.00", at=None, sku="MILK-1"):
    moment = at or timezone.now()
    draft = Draft(lines=(DraftLine(sku=sku, quantity=Decimal("1"), price=Decimal(price)),), purchased_at=moment)
    receipt, _calc = receipt_commit(merchant=merchant, store=Store.objects.get(merchant=merchant, code="main"), customer=customer,
                                    draft=draft, number=number, now=moment)
    return receipt


def queries(work) -> int:
    with CaptureQueriesContext(connection) as context:
        work()
    return len(context)


# ---------------------------------------------------------------- compiled once, read fresh


def test_promotions_compiled_once_per_version(merchant):
    promotion = promotion_make(merchant)
    promotions_compiled(merchant=merchant)

    assert queries(lambda: promotions_compiled(merchant=merchant)) == 1
    services.promotion_update(promotion=promotion, data={"name": "Renamed"})
    assert [item["name"] for item in promotions_compiled(merchant=merchant)] == ["Renamed"]
    services.promotion_update(promotion=promotion, data={"active": False})
    assert promotions_compiled(merchant=merchant) == ()


def test_state_queries_do_not_grow_with_the_number_of_promotions(merchant):
    customer = customer_create(merchant)
    promotion_make(merchant, code="one", limits={"per_customer": 1})
    now = timezone.now()
    checkout_state_gather(merchant=merchant, customer=customer, purchased_at=now, codes=["X"])
    few = queries(lambda: checkout_state_gather(merchant=merchant, customer=customer, purchased_at=now, codes=["X"]))
    for index in range(50):
        promotion_make(merchant, code=f"p{index}", limits={"per_customer": 1, "budget_amount": "100"},
                       conditions={"every_nth": {"n": 3}, "first_purchase": index % 2 == 0, "skus": ["A"]})
    checkout_state_gather(merchant=merchant, customer=customer, purchased_at=now, codes=["X"])
    many = queries(lambda: checkout_state_gather(merchant=merchant, customer=customer, purchased_at=now, codes=["X"]))
    assert many <= few + 4  # the stamp and first-purchase reads join in once, whatever the count


def test_state_reads_counters_fresh_though_the_promotions_are_cached(merchant):
    promotion = promotion_make(merchant, limits={"total_uses": 10})
    now = timezone.now()
    checkout_state_gather(merchant=merchant, customer=None, purchased_at=now)
    Promotion.objects.filter(pk=promotion.pk).update(uses=7, spent_amount=Decimal("12.50"))

    [item] = checkout_state_gather(merchant=merchant, customer=None, purchased_at=now).promotions

    assert (item["uses"], item["spent_amount"]) == (7, "12.50")
    assert "_pk" not in item


def test_state_gathers_the_customers_offers_gifts_purchases_and_stamps(merchant):
    customer = customer_create(merchant)
    plants = promotion_make(merchant, code="plants", audience={"offer_only": True}, limits={"per_customer": 2})
    promotion_make(merchant, code="fifth", conditions={"every_nth": {"n": 5, "days": 30}})
    promotion_make(merchant, code="loyal", conditions={"previous_purchase_min": "50"})
    now = timezone.now()
    first = commit(merchant, customer, number="R-1", price="80.00", at=now - timedelta(days=2))
    commit(merchant, customer, number="R-2", price="60.00", at=now - timedelta(days=1))
    PromotionUse.objects.create(merchant=merchant, promotion=plants, customer=customer, receipt=first)
    offer = services.offer_grant(customer=customer, promotion=plants, days=7, uses=1, now=now - timedelta(days=1))
    gift = services.gift_grant(customer=customer, data={"name": "Bag", "sku": "BAG"})

    state = checkout_state_gather(merchant=merchant, customer=customer, purchased_at=now)

    assert state.customer_uses == {"plants": 1}
    assert state.offers == {"plants": offer}
    assert state.gifts == [gift]
    assert state.stamps == {"fifth": 2}
    assert state.previous_purchase == Decimal("60.00")
    assert state.first_purchase is False
    assert checkout_state_gather(merchant=merchant, customer=customer_create(merchant), purchased_at=now).first_purchase is True


def test_codes_are_judged_with_their_reasons(merchant):
    customer, other = customer_create(merchant), customer_create(merchant)
    promotion = promotion_make(merchant, conditions={"code_required": True})
    services.code_create(promotion=promotion, data={"code": "SPRING30", "per_customer": 1})
    services.code_create(promotion=promotion, data={"code": "OLD30", "expires_at": "2020-01-01T00:00:00+03:00"})
    services.code_create(promotion=promotion, data={"code": "ONCE30", "uses": 1})
    services.codes_create(promotion=promotion, data={"customers": [str(customer.pk), str(other.pk)]})
    mine = PromoCode.objects.get(customer=customer).code
    theirs = PromoCode.objects.get(customer=other).code
    PromoCode.objects.filter(code="ONCE30").update(used_count=1)
    now = timezone.now()

    judged = codes_judge(merchant=merchant, customer=customer, purchased_at=now,
                         codes=["spring30", "NOPE", "OLD30", "ONCE30", mine.lower(), theirs, "SPRING30"])

    assert [(item.code, item.promotion, item.reason) for item in judged] == [
        ("spring30", "milk", None), ("NOPE", None, "promo_code_unknown"), ("OLD30", None, "promo_code_expired"),
        ("ONCE30", None, "promo_code_used"), (mine.lower(), "milk", None), (theirs, None, "promo_code_not_yours")]
    assert codes_judge(merchant=merchant, customer=None, purchased_at=now, codes=[mine])[0].reason == "promo_code_not_yours"
    assert codes_judge(merchant=MerchantFactory(), customer=None, purchased_at=now, codes=["SPRING30"])[0].reason == "promo_code_unknown"


# ---------------------------------------------------------------- the commit's records


def test_commit_record_counts_uses_closes_codes_and_gifts_and_grants_offers(merchant):
    customer = customer_create(merchant)
    milk = promotion_make(merchant, limits={"total_uses": 5, "budget_amount": "100"})
    plants = promotion_make(merchant, code="plants", audience={"offer_only": True})
    services.codes_create(promotion=milk, data={"customers": [str(customer.pk)]})
    code = PromoCode.objects.get().code
    gift = services.gift_grant(customer=customer, data={"name": "Bag", "sku": "BAG"})
    receipt = commit(merchant, customer, number="C-1")
    now = timezone.now()

    checkout_commit_record(merchant=merchant, customer=customer, receipt=receipt, now=now,
                           uses=[UseRecord(promotion="milk", amount=Decimal("10.00"), points=3, codes=(code.lower(),))],
                           gifts=[str(gift.pk)], grants=[GrantRecord(promotion="plants", days=14, uses=2)])

    milk.refresh_from_db()
    assert (milk.uses, milk.spent_amount, milk.spent_points) == (1, Decimal("10.00"), 3)
    use = PromotionUse.objects.get()
    assert (use.receipt_id, use.customer_id, use.amount, use.points, use.code.code) == (receipt.pk, customer.pk, Decimal("10.00"), 3, code)
    row = PromoCode.objects.get()
    assert (row.used_at, row.receipt_id, row.used_count) == (now, receipt.pk, 1)
    gift.refresh_from_db()
    assert (gift.status, gift.receipt_id) == ("used", receipt.pk)
    offer = Offer.objects.get(promotion=plants)
    assert (offer.ends_at, offer.uses_left, offer.source_receipt_id) == (receipt.purchased_at + timedelta(days=14), 2, receipt.pk)

    with pytest.raises(ApplicationError) as error, transaction.atomic():
        checkout_commit_record(merchant=merchant, customer=customer, receipt=commit(merchant, customer, number="C-2"), now=now,
                               uses=[UseRecord(promotion="milk", amount=Decimal("1.00"), points=0, codes=(code,))], gifts=[], grants=[])
    assert error.value.code == "promo_code_used"
    with pytest.raises(ApplicationError) as error, transaction.atomic():
        checkout_commit_record(merchant=merchant, customer=customer, receipt=commit(merchant, customer, number="C-3"), now=now,
                               uses=[], gifts=[str(gift.pk)], grants=[])
    assert error.value.code == "gift_used"
    milk.refresh_from_db()
    assert milk.uses == 1 and PromotionUse.objects.count() == 1


def test_commit_record_never_passes_a_limit(merchant):
    customer = customer_create(merchant)
    promotion_make(merchant, limits={"budget_amount": "15.00"})
    record = dict(merchant=merchant, customer=customer, gifts=[], grants=[], now=timezone.now())
    checkout_commit_record(receipt=commit(merchant, customer, number="L-1"), uses=[UseRecord("milk", Decimal("10.00"), 0)], **record)

    with pytest.raises(ApplicationError) as error, transaction.atomic():
        checkout_commit_record(receipt=commit(merchant, customer, number="L-2"), uses=[UseRecord("milk", Decimal("5.01"), 0)], **record)

    assert error.value.code == "promotion_limit_reached"
    checkout_commit_record(receipt=commit(merchant, customer, number="L-3"), uses=[UseRecord("milk", Decimal("5.00"), 0)], **record)
    assert Promotion.objects.get().spent_amount == Decimal("15.00")


def test_commit_record_takes_one_use_of_the_offer(merchant):
    customer = customer_create(merchant)
    plants = promotion_make(merchant, code="plants", audience={"offer_only": True})
    offer = services.offer_grant(customer=customer, promotion=plants, days=7, uses=2)

    checkout_commit_record(merchant=merchant, customer=customer, receipt=commit(merchant, customer, number="O-1"), now=timezone.now(),
                           uses=[UseRecord("plants", Decimal("1.00"), 0, offer=True)], gifts=[], grants=[])

    offer.refresh_from_db()
    assert (offer.uses_left, offer.used) == (1, 1)


# ---------------------------------------------------------------- a full return


def test_full_return_gives_back_the_use_and_withdraws_an_unused_unlocked_offer(merchant):
    customer = customer_create(merchant)
    promotion_make(merchant)
    plants = promotion_make(merchant, code="plants", audience={"offer_only": True})
    receipt = commit(merchant, customer, number="F-1")
    now = timezone.now()
    checkout_commit_record(merchant=merchant, customer=customer, receipt=receipt, now=now,
                           uses=[UseRecord("milk", Decimal("10.00"), 4)], gifts=[], grants=[GrantRecord("plants", 14, 1)])

    checkout_refund_reverse(merchant=merchant, receipt=receipt, fully_returned=False, now=now)
    assert Promotion.objects.get(code="milk").uses == 1
    checkout_refund_reverse(merchant=merchant, receipt=receipt, fully_returned=True, now=now)
    checkout_refund_reverse(merchant=merchant, receipt=receipt, fully_returned=True, now=now)  # twice changes nothing more

    milk = Promotion.objects.get(code="milk")
    assert (milk.uses, milk.spent_amount, milk.spent_points) == (0, Decimal("0.00"), 0)
    assert PromotionUse.objects.get().returned_at == now
    assert Offer.objects.get(promotion=plants).withdrawn_at == now


def test_full_return_keeps_an_unlocked_offer_already_used(merchant):
    customer = customer_create(merchant)
    plants = promotion_make(merchant, code="plants", audience={"offer_only": True})
    receipt = commit(merchant, customer, number="U-1")
    checkout_commit_record(merchant=merchant, customer=customer, receipt=receipt, now=timezone.now(), uses=[], gifts=[],
                           grants=[GrantRecord("plants", 14, 2)])
    checkout_commit_record(merchant=merchant, customer=customer, receipt=commit(merchant, customer, number="U-2"), now=timezone.now(),
                           uses=[UseRecord("plants", Decimal("1.00"), 0, offer=True)], gifts=[], grants=[])

    checkout_refund_reverse(merchant=merchant, receipt=receipt, fully_returned=True, now=timezone.now())

    assert Offer.objects.get().withdrawn_at is None


# ---------------------------------------------------------------- parallel commits (PostgreSQL)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_single_use_code_and_a_gift_are_used_once_by_parallel_commits():
    from tests.test_concurrency import run_at_once

    merchant = MerchantFactory()
    customer = customer_create(merchant)
    promotion = promotion_make(merchant, limits={"budget_amount": "25.00"})
    services.codes_create(promotion=promotion, data={"customers": [str(customer.pk)]})
    code = PromoCode.objects.get().code
    gift = services.gift_grant(customer=customer, data={"name": "Bag", "sku": "BAG"})
    receipts = [commit(merchant, customer, number=f"P-{index}") for index in range(6)]

    def till(index):
        with transaction.atomic():
            state = checkout_state_gather(merchant=merchant, customer=customer, purchased_at=timezone.now(), codes=[code], for_commit=True)
            [found] = state.codes
            [item] = state.promotions
            left = Decimal(item["limits"]["budget_amount"]) - Decimal(item["spent_amount"])
            if found.reason or not state.gifts or left <= 0:
                return "refused"
            checkout_commit_record(merchant=merchant, customer=customer, receipt=receipts[index], now=timezone.now(),
                                   uses=[UseRecord("milk", min(left, Decimal("10.00")), 0, codes=(code,))],
                                   gifts=[str(state.gifts[0].pk)], grants=[])
            return "used"

    results = run_at_once(6, till)

    assert sorted(results, key=str) == ["refused"] * 5 + ["used"], results
    assert PromoCode.objects.get().receipt_id is not None and Gift.objects.get(pk=gift.pk).status == "used"
    assert Promotion.objects.get().spent_amount == Decimal("10.00")

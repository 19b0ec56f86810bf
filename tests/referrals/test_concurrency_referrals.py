"""Referral rewards under parallel commits on PostgreSQL: friends of one referrer buying at once never
push the referrer past the monthly cap, and chains lock in one order (no deadlock)."""
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from loyalty.drafts import draft_parse
from loyalty.models import Entry
from loyalty.services import receipt_commit
from referrals.services.referrals import referral_settings_update
from tests.factories import MerchantFactory, assert_ledger_consistent, customer_create, program_set
from tests.test_concurrency import run_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_friends_never_pass_the_referrers_monthly_cap():
    # given Alexander (brought by Boris) with eight friends, a 1 % share and a cap of 25 points a month
    merchant = MerchantFactory()
    program_set(merchant, accrual_percent=Decimal("5.00"))
    referral_settings_update(merchant=merchant, clean={"referrer_percent": Decimal("1.00"), "second_level_percent": Decimal("0.50"),
                                                       "monthly_cap": 25})
    boris = customer_create(merchant, phone="+79161230011", name="Boris")
    alexander = customer_create(merchant, phone="+79161230045", name="Alexander", referral_code=boris.referral_code)
    friends = [customer_create(merchant, phone=f"+7916123{i:04d}", name=f"Friend {i}", referral_code=alexander.referral_code)
               for i in range(100, 108)]
    store = merchant.stores.get(code="main")

    def buy(i):
        # each friend buys for 1,000.00 (10 points to Alexander, 5 to Boris); Alexander himself buys too
        customer = alexander if i == len(friends) else friends[i]
        draft = draft_parse({"lines": [{"sku": "BIKE", "quantity": "1", "price": "1000.00"}]}, currency=merchant.currency)
        receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft, number=f"P-{i}", now=timezone.now())
        return "ok"

    # when they all commit at once
    results = run_at_once(len(friends) + 1, buy)

    # then every commit went through and the cap held for both referrers
    assert results == ["ok"] * (len(friends) + 1)
    earned = {person.name: Entry.objects.filter(customer=person, kind="referral").aggregate(total=Sum("points"))["total"]
              for person in (alexander, boris)}
    assert earned == {"Alexander": 25, "Boris": 25}
    for person in (alexander, boris, *friends):
        assert_ledger_consistent(person)

from decimal import Decimal

from loyalty.services import receipt_commit
from tests.factories import customer_create, draft


def test_receipt_commit_accrues_on_money_paid_after_redemption(merchant):
    customer = customer_create(merchant)
    receipt, calc = receipt_commit(
        merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
        draft=draft(("MILK-1", "2", "89.90"), redeem=100), number="1",
    )
    assert calc.total == Decimal("79.80")
    assert receipt.accrued_points == 3
    assert receipt.redeemed_points == 100

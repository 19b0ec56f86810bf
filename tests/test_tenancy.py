"""Merchant isolation: a key of merchant A never sees or touches merchant B's data."""
from decimal import Decimal

import pytest

from loyalty.models import Program, Receipt
from loyalty.services import receipt_commit
from tests.factories import MerchantFactory, StoreFactory, client_for, customer_create, draft, row_counts


@pytest.fixture
def other(db):
    """Merchant B with a customer and a committed receipt."""
    merchant = MerchantFactory()
    StoreFactory(merchant=merchant, code="b-only")
    customer = customer_create(merchant, phone="+79997776655")
    receipt, _ = receipt_commit(
        merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
        draft=draft(("MILK-1", "2", "89.90"), redeem=100), number="B-1",
    )
    return merchant, customer, receipt


def test_another_merchants_customer_is_404(pos_client, other):
    _merchant, customer, _receipt = other

    detail = pos_client.get(f"/api/v1/customers/{customer.pk}")
    entries = pos_client.get(f"/api/v1/customers/{customer.pk}/entries")

    assert (detail.status_code, entries.status_code) == (404, 404)
    assert detail.json()["code"] == "customer_not_found"
    assert "results" not in entries.json()


@pytest.mark.parametrize("field", ["phone", "card_number", "referral_code"])
def test_lookup_never_finds_another_merchants_customer(pos_client, other, field):
    _merchant, customer, _receipt = other

    response = pos_client.get("/api/v1/customers/lookup", {"q": getattr(customer, field)})

    assert response.status_code == 404


def test_another_merchants_receipt_is_404(pos_client, other):
    _merchant, _customer, receipt = other

    response = pos_client.get(f"/api/v1/receipts/{receipt.pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "receipt_not_found"


def test_refunding_another_merchants_receipt_is_404_and_writes_nothing(pos_client, other):
    _merchant, _customer, receipt = other
    before = row_counts()

    response = pos_client.post(f"/api/v1/receipts/{receipt.pk}/refund", {}, format="json", HTTP_IDEMPOTENCY_KEY="steal")

    assert response.status_code == 404
    assert row_counts() == before
    assert Receipt.objects.get(pk=receipt.pk).refunded_amount == Decimal("0.00")


@pytest.mark.parametrize("path", ["/api/v1/receipts/calculate", "/api/v1/receipts"])
def test_pricing_or_committing_for_another_merchants_customer_is_404(pos_client, other, path):
    _merchant, customer, _receipt = other
    before = row_counts()

    response = pos_client.post(path, {"customer": str(customer.pk), "number": "A-1", "redeem_points": 10,
                                      "lines": [{"sku": "X", "quantity": "1", "price": "100.00"}]}, format="json")

    assert response.status_code == 404
    assert row_counts() == before


def test_committing_by_another_merchants_phone_is_404(pos_client, other):
    response = pos_client.post("/api/v1/receipts", {"phone": "+79997776655", "number": "A-1",
                                                    "lines": [{"sku": "X", "quantity": "1", "price": "100.00"}]}, format="json")

    assert response.status_code == 404


def test_another_merchants_store_code_is_unknown(pos_client, other):
    response = pos_client.post("/api/v1/receipts/calculate", {"store": "b-only", "lines": [{"sku": "X", "quantity": "1", "price": "1.00"}]}, format="json")

    assert response.status_code == 400
    assert "store" in response.json()["fields"]


def test_the_same_phone_and_receipt_number_may_exist_at_two_merchants(pos_client, merchant, other):
    joined = pos_client.post("/api/v1/customers", {"phone": "+79997776655"}, format="json")
    committed = pos_client.post("/api/v1/receipts", {"customer": joined.json()["id"], "number": "B-1",
                                                     "lines": [{"sku": "X", "quantity": "1", "price": "1.00"}]}, format="json")

    assert (joined.status_code, committed.status_code) == (201, 201)
    assert pos_client.get("/api/v1/customers/lookup", {"q": "+79997776655"}).json()["id"] == joined.json()["id"]


def test_idempotency_keys_are_scoped_to_the_merchant(pos_client, merchant, other):
    b_merchant, b_customer, _receipt = other
    b_client = client_for(b_merchant)

    a = pos_client.post("/api/v1/customers", {"phone": "+79990000004"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")
    b = b_client.post("/api/v1/customers", {"phone": "+79990000005"}, format="json", HTTP_IDEMPOTENCY_KEY="shared")

    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json()["id"] != b.json()["id"]
    assert a.json()["phone"] == "+79990000004"
    assert b.json()["phone"] == "+79990000005"


def test_program_settings_are_per_merchant(merchant, other):
    b_merchant, _customer, _receipt = other
    admin = client_for(merchant, scope="admin")

    admin.patch("/api/v1/program", {"accrual_percent": "9.00"}, format="json")

    assert Program.objects.get(merchant=merchant).accrual_percent == Decimal("9.00")
    assert Program.objects.get(merchant=b_merchant).accrual_percent == Decimal("5.00")
    assert client_for(b_merchant, scope="admin").get("/api/v1/program").json()["accrual_percent"] == "5.00"

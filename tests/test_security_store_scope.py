"""A store-bound POS key sees only its own store's receipts (read, refund, idempotent replays)."""
import pytest

from loyalty.models import Receipt
from tests.factories import StoreFactory, client_for, customer_create

LINE = {"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90"}

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(merchant):
    north = StoreFactory(merchant=merchant, code="north")
    customer = customer_create(merchant)
    main_key = client_for(merchant, store=merchant.stores.get(code="main"))
    north_key = client_for(merchant, store=north)
    any_key = client_for(merchant)
    response = main_key.post("/api/v1/receipts", {"customer": str(customer.pk), "number": "M-1", "lines": [LINE]}, format="json")
    assert response.status_code == 201
    return {"receipt_id": response.json()["id"], "main": main_key, "north": north_key, "any": any_key, "customer": customer}


def test_a_store_bound_key_cannot_read_another_stores_receipt(setup):
    receipt_id = setup["receipt_id"]
    response = setup["north"].get(f"/api/v1/receipts/{receipt_id}")
    assert response.status_code == 404
    assert response.json()["code"] == "receipt_not_found"
    # Its own store's key and an unbound key still read it.
    assert setup["main"].get(f"/api/v1/receipts/{receipt_id}").status_code == 200
    assert setup["any"].get(f"/api/v1/receipts/{receipt_id}").status_code == 200


def test_a_store_bound_key_cannot_refund_another_stores_receipt(setup):
    receipt_id = setup["receipt_id"]
    response = setup["north"].post(f"/api/v1/receipts/{receipt_id}/refund", {}, format="json", HTTP_IDEMPOTENCY_KEY="r1")
    assert response.status_code == 404
    assert response.json()["code"] == "receipt_not_found"
    receipt = Receipt.objects.get(pk=receipt_id)
    assert receipt.refunded_amount == 0
    # The store's own key may refund it.
    assert setup["main"].post(f"/api/v1/receipts/{receipt_id}/refund", {}, format="json").status_code == 200


def test_a_store_bound_key_does_not_replay_another_stores_commit(setup):
    """The same Idempotency-Key and body from another store's key is not that store's receipt."""
    body = {"customer": str(setup["customer"].pk), "number": "X-1", "lines": [LINE]}
    first = setup["main"].post("/api/v1/receipts", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert first.status_code == 201
    second = setup["north"].post("/api/v1/receipts", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert second.status_code == 409
    assert first.json()["id"] not in second.content.decode()
    # The store's own key replays it.
    again = setup["main"].post("/api/v1/receipts", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]

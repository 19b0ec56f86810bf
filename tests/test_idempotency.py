"""Idempotency-Key on state-changing POS calls (docs/api.md "Idempotency")."""
import pytest

from loyalty.models import Entry, IdempotencyRecord, Receipt
from tests.factories import customer_create, row_counts

TV = {"sku": "TV", "quantity": "1", "price": "1000.00"}


@pytest.fixture
def customer(merchant):
    return customer_create(merchant)


def post(client, path, body, key):
    return client.post(path, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_replaying_a_commit_returns_the_same_body_and_writes_nothing(pos_client, customer):
    body = {"customer": str(customer.pk), "number": "1", "lines": [TV], "redeem_points": 100}
    first = post(pos_client, "/api/v1/receipts", body, "till-1-0001")
    after_first = row_counts()

    again = post(pos_client, "/api/v1/receipts", body, "till-1-0001")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert row_counts() == after_first
    assert Receipt.objects.count() == 1
    assert first.json()["balance"] == {"available": 245, "pending": 0}


def test_replaying_a_customer_create_returns_the_same_customer(pos_client, merchant):
    first = post(pos_client, "/api/v1/customers", {"phone": "+79885550010"}, "join-1")
    again = post(pos_client, "/api/v1/customers", {"phone": "+79885550010"}, "join-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert merchant.customers.count() == 1


def test_replaying_a_refund_refunds_once(pos_client, customer):
    created = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV]}, "c").json()
    first = post(pos_client, f"/api/v1/receipts/{created['id']}/refund", {}, "refund-1")
    after_first = row_counts()

    again = post(pos_client, f"/api/v1/receipts/{created['id']}/refund", {}, "refund-1")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert row_counts() == after_first
    assert Entry.objects.filter(kind="refund").count() == 1


def test_the_same_key_with_another_body_is_409_idempotency_key_reused(pos_client, customer):
    post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV]}, "k")
    before = row_counts()

    response = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "2", "lines": [TV]}, "k")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert row_counts() == before


def test_the_same_key_on_another_endpoint_is_409(pos_client, customer):
    post(pos_client, "/api/v1/customers", {"phone": "+79885550011"}, "k")

    response = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV]}, "k")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"


def test_a_refused_request_is_not_stored_so_a_corrected_retry_succeeds(pos_client, customer):
    # given a commit refused with 422 (more points than the customer has)
    refused = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV], "redeem_points": 400}, "k")
    assert refused.status_code == 422
    assert IdempotencyRecord.objects.count() == 0

    # when the till retries, corrected, with the same key
    retried = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV], "redeem_points": 300}, "k")

    # then it is committed once
    assert retried.status_code == 201
    assert retried.json()["redeemed_points"] == 300
    assert Receipt.objects.count() == 1


def test_a_request_refused_for_bad_input_may_be_retried_with_the_same_key(pos_client, customer):
    bad = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [{**TV, "price": "-1"}]}, "k")
    assert bad.status_code == 400

    good = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV]}, "k")

    assert good.status_code == 201


def test_the_same_pos_number_with_another_key_is_409_receipt_exists(pos_client, customer):
    post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "A-7", "lines": [TV]}, "first")
    before = row_counts()

    response = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "A-7", "lines": [TV]}, "second")

    assert response.status_code == 409
    assert response.json()["code"] == "receipt_exists"
    assert row_counts() == before


def test_the_same_pos_number_without_keys_is_409_receipt_exists(pos_client, customer):
    post(pos_client, "/api/v1/receipts", {"number": "A-8", "lines": [TV]}, "first")

    response = pos_client.post("/api/v1/receipts", {"number": "A-8", "lines": [TV]}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "receipt_exists"


@pytest.mark.parametrize("key", ["x" * 256, "   "])
def test_a_key_that_is_blank_or_too_long_is_400(pos_client, customer, key):
    before = row_counts()

    response = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV]}, key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert row_counts() == before


def test_a_key_of_255_characters_is_accepted(pos_client, customer):
    response = post(pos_client, "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [TV]}, "k" * 255)

    assert response.status_code == 201

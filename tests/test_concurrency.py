"""Concurrency on PostgreSQL: row locks serialise tills writing to one account, keys commit once."""
import threading
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accounts.models import Customer
from loyalty.models import Entry, IdempotencyRecord, Lot, Receipt
from loyalty.selectors import balance_get
from tests.factories import MerchantFactory, api_key, assert_ledger_consistent, customer_create, program_set

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(count: int, work) -> list:
    """Run work(i) in `count` threads released together; return their results in order."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(i):
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def pos_client(merchant) -> tuple[APIClient, str]:
    _key, secret = api_key(merchant)
    return secret


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_twenty_tills_redeeming_from_one_account_spend_only_what_it_holds():
    # given a customer with 300 points and no accrual, so only the bonus can be spent
    merchant = MerchantFactory()
    program_set(merchant, accrual_percent=Decimal("0"))
    customer = customer_create(merchant)
    secret = pos_client(merchant)
    stop = threading.Event()
    seen: list[int] = []

    def watch():
        try:
            while not stop.is_set():
                seen.append(balance_get(merchant=merchant, customer=customer).available)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()

    # when 20 tills each redeem 50 points at the same moment
    def redeem(i):
        response = client_with(secret).post(
            "/api/v1/receipts",
            {"customer": str(customer.pk), "number": f"T{i}", "redeem_points": 50, "lines": [{"sku": "X", "quantity": "1", "price": "100.00"}]},
            format="json", HTTP_IDEMPOTENCY_KEY=f"till-{i}",
        )
        return response.status_code, response.json()

    try:
        results = run_at_once(20, redeem)
    finally:
        stop.set()
        watcher.join()

    # then exactly the six that fit succeed, the rest are refused, and the balance never went below zero
    statuses = [r[0] for r in results]
    assert statuses.count(201) == 6, results
    assert statuses.count(422) == 14
    assert {r[1]["code"] for r in results if r[0] == 422} == {"insufficient_points"}
    assert Receipt.objects.filter(merchant=merchant).count() == 6
    assert balance_get(merchant=merchant, customer=customer).available == 0
    assert min(seen) >= 0
    assert Lot.objects.get(customer=customer).remaining == 0
    assert Entry.objects.filter(customer=customer, kind="redemption").count() == 6
    assert_ledger_consistent(customer)


def test_concurrent_requests_with_one_idempotency_key_commit_once():
    merchant = MerchantFactory()
    customer = customer_create(merchant)
    secret = pos_client(merchant)
    body = {"customer": str(customer.pk), "number": "A-1", "redeem_points": 100, "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}]}

    def send(_i):
        response = client_with(secret).post("/api/v1/receipts", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key")
        return response.status_code, response.json()

    results = run_at_once(10, send)

    assert all(not isinstance(r, Exception) for r in results), results
    created = [r[1] for r in results if r[0] == 201]
    others = [r for r in results if r[0] != 201]
    assert len(created) >= 1
    assert all(body == created[0] for body in created)
    assert all(r[0] == 409 and r[1]["code"] == "idempotency_key_in_progress" for r in others), others
    assert Receipt.objects.filter(merchant=merchant).count() == 1
    assert Entry.objects.filter(customer=customer, kind="redemption").count() == 1
    assert balance_get(merchant=merchant, customer=customer).available == 245
    assert IdempotencyRecord.objects.get(merchant=merchant, key="same-key").state == "done"


def test_the_same_pos_number_from_two_keys_at_once_commits_once():
    merchant = MerchantFactory()
    customer = customer_create(merchant)
    secret = pos_client(merchant)

    def send(i):
        response = client_with(secret).post(
            "/api/v1/receipts",
            {"customer": str(customer.pk), "number": "A-1", "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}]},
            format="json", HTTP_IDEMPOTENCY_KEY=f"key-{i}",
        )
        return response.status_code, response.json()

    results = run_at_once(8, send)

    statuses = sorted(r[0] for r in results)
    assert statuses == [201] + [409] * 7, results
    assert {r[1]["code"] for r in results if r[0] == 409} == {"receipt_exists"}
    assert Receipt.objects.filter(merchant=merchant).count() == 1
    assert_ledger_consistent(customer)


def test_the_same_phone_joining_at_once_creates_one_customer():
    merchant = MerchantFactory()
    secret = pos_client(merchant)

    def join(i):
        response = client_with(secret).post("/api/v1/customers", {"phone": "+79995550000"}, format="json", HTTP_IDEMPOTENCY_KEY=f"j{i}")
        return response.status_code, response.json()

    results = run_at_once(8, join)

    assert sorted(r[0] for r in results) == [201] + [409] * 7, results
    assert Customer.objects.filter(merchant=merchant).count() == 1


def test_refund_and_redemption_at_once_keep_the_ledger_consistent():
    # given a customer who earned 50 points on a TV and has 300 from the bonus
    merchant = MerchantFactory()
    customer = customer_create(merchant)
    secret = pos_client(merchant)
    tv = client_with(secret).post("/api/v1/receipts", {"customer": str(customer.pk), "number": "TV",
                                                        "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}]}, format="json").json()

    # when the TV is returned while other tills spend points
    def work(i):
        client = client_with(secret)
        if i == 0:
            response = client.post(f"/api/v1/receipts/{tv['id']}/refund", {}, format="json")
        else:
            response = client.post("/api/v1/receipts", {"customer": str(customer.pk), "number": f"R{i}", "redeem_points": 60,
                                                         "lines": [{"sku": "X", "quantity": "1", "price": "60.00"}]}, format="json")
        return response.status_code

    results = run_at_once(8, work)

    # then every write saw the others' effects: the ledger adds up and lots stay within bounds
    assert results[0] == 200
    assert set(results[1:]) <= {201, 422}
    assert_ledger_consistent(customer)
    assert not Lot.objects.filter(customer=customer, remaining__lt=0).exists()
    balance = balance_get(merchant=merchant, customer=customer)
    assert balance.available >= -50

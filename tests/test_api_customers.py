"""POS API, customers: create, lookup, detail, entries (docs/api.md "Customers")."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from accounts.models import Customer
from loyalty.models import Entry
from loyalty.services import points_adjust, points_earn
from tests.factories import customer_create, program_set, row_counts

MOSCOW = ZoneInfo("Europe/Moscow")


def test_create_normalises_the_phone_and_credits_the_welcome_bonus(pos_client, merchant):
    # when a POS registers a customer with a phone typed the Russian way
    response = pos_client.post(
        "/api/v1/customers",
        {"phone": "8 (999) 123-45-67", "name": "Artem", "email": "A@Example.com", "birthday": "1990-05-01", "gender": "m"},
        format="json",
    )

    # then 201 with the customer's read shape and 300 points available, expiring in 14 days
    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get(merchant=merchant)
    assert body["id"] == str(customer.pk)
    assert body["phone"] == "+79991234567"
    assert (body["name"], body["email"], body["birthday"], body["gender"]) == ("Artem", "a@example.com", "1990-05-01", "m")
    assert len(body["card_number"]) == 13 and body["card_number"].isdigit()
    assert 6 <= len(body["referral_code"]) <= 8 and body["referral_code"].isdigit()
    assert body["balance"] == {"available": 300, "pending": 0}
    expires_on = (customer.created_at + timedelta(days=14)).astimezone(MOSCOW).date().isoformat()
    assert body["expiring"] == [{"points": 300, "on": expires_on}]


def test_only_the_phone_is_required(pos_client, merchant):
    response = pos_client.post("/api/v1/customers", {"phone": "+79990000001"}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == ""
    assert Customer.objects.filter(merchant=merchant).count() == 1


def test_a_duplicate_phone_in_any_format_is_customer_exists(pos_client, merchant):
    customer_create(merchant, phone="+79991234567")
    before = row_counts()

    response = pos_client.post("/api/v1/customers", {"phone": "8 999 123 45 67"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "customer_exists"
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": ""}, "phone"),
        ({}, "phone"),
        ({"phone": ["+79991234567"]}, "phone"),
        ({"phone": "+79991234567", "email": "not-an-email"}, "email"),
        ({"phone": "+79991234567", "birthday": "1990-13-01"}, "birthday"),
        ({"phone": "+79991234567", "gender": "x"}, "gender"),
    ],
)
def test_bad_customer_input_is_400_with_the_field_and_writes_nothing(pos_client, merchant, body, field):
    before = row_counts()

    response = pos_client.post("/api/v1/customers", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert row_counts() == before


def test_an_unknown_referral_code_is_422_and_writes_nothing(pos_client, merchant):
    before = row_counts()

    response = pos_client.post("/api/v1/customers", {"phone": "+79991234567", "referral_code": "999999"}, format="json")

    assert response.status_code == 422
    assert response.json()["code"] == "referral_code_unknown"
    assert "referral_code" in response.json()["fields"]
    assert row_counts() == before


def test_joining_with_a_referral_code_records_the_referrer(pos_client, merchant):
    referrer = customer_create(merchant)

    # A phone outside the factories' range, so it is never the referrer's own (that is self_referral).
    response = pos_client.post("/api/v1/customers", {"phone": "+79161234502", "referral_code": referrer.referral_code}, format="json")

    assert response.status_code == 201
    assert Customer.objects.get(pk=response.json()["id"]).referred_by == referrer


@pytest.mark.parametrize("q", ["8 (999) 123-45-67", "+7 999 1234567", "79991234567", "+79991234567", "89991234567", " 8-999-123-45-67 "])
def test_lookup_finds_a_phone_in_any_format(pos_client, merchant, q):
    customer = customer_create(merchant, phone="+79991234567")

    response = pos_client.get("/api/v1/customers/lookup", {"q": q})

    assert response.status_code == 200
    assert response.json()["id"] == str(customer.pk)
    assert response.json()["balance"] == {"available": 300, "pending": 0}


def test_lookup_by_card_number_and_by_referral_code(pos_client, merchant):
    customer = customer_create(merchant)
    card = customer.card_number

    by_card = pos_client.get("/api/v1/customers/lookup", {"q": card})
    by_spaced_card = pos_client.get("/api/v1/customers/lookup", {"q": f"{card[:4]} {card[4:8]} {card[8:]}"})
    by_code = pos_client.get("/api/v1/customers/lookup", {"q": customer.referral_code})

    assert [r.status_code for r in (by_card, by_spaced_card, by_code)] == [200, 200, 200]
    assert {r.json()["id"] for r in (by_card, by_spaced_card, by_code)} == {str(customer.pk)}


@pytest.mark.parametrize("q", ["+79990009999", "2700000000000", "123456", "hello"])
def test_lookup_of_nobody_is_404(pos_client, merchant, q):
    customer_create(merchant, phone="+79991234567")

    response = pos_client.get("/api/v1/customers/lookup", {"q": q})

    assert response.status_code == 404
    assert response.json() == {"code": "customer_not_found", "detail": response.json()["detail"], "fields": {}}


def test_lookup_without_q_is_400(pos_client):
    response = pos_client.get("/api/v1/customers/lookup")

    assert response.status_code == 400
    assert "q" in response.json()["fields"]


def test_detail_shows_the_recorded_balance_and_every_expiring_batch(pos_client, merchant):
    customer = customer_create(merchant)
    points_earn(customer=customer, kind="bonus", points=70, description="Birthday", ttl_days=30)

    response = pos_client.get(f"/api/v1/customers/{customer.pk}")

    assert response.status_code == 200
    body = response.json()
    assert body["balance"] == {"available": 370, "pending": 0}
    assert [item["points"] for item in body["expiring"]] == [300, 70]


def test_expiring_sums_lots_per_date_in_the_merchant_timezone(pos_client, merchant):
    # given lots ending at 21:30 UTC and at 10:00 UTC the next day: the same date in Moscow
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant)
    start = (timezone.now() + timedelta(days=30)).replace(hour=0, minute=0, second=0, microsecond=0)
    points_earn(customer=customer, kind="bonus", points=10, description="a", ttl_days=1, at=start.replace(hour=21, minute=30))
    points_earn(customer=customer, kind="bonus", points=20, description="b", ttl_days=2, at=start.replace(hour=10))
    points_earn(customer=customer, kind="bonus", points=5, description="c", ttl_days=5, at=start)

    body = pos_client.get(f"/api/v1/customers/{customer.pk}").json()

    day = (start + timedelta(days=2)).date()
    assert body["expiring"] == [{"points": 30, "on": day.isoformat()}, {"points": 5, "on": (start + timedelta(days=5)).date().isoformat()}]


@pytest.mark.parametrize("customer_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_detail_of_an_unknown_id_is_404(pos_client, customer_id):
    response = pos_client.get(f"/api/v1/customers/{customer_id}")

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_entries_are_the_history_newest_first(pos_client, merchant):
    customer = customer_create(merchant)
    points_adjust(customer=customer, points=-50, reason="Fix", staff=None)
    receipt_response = pos_client.post(
        "/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [{"sku": "X", "quantity": "1", "price": "200.00"}]},
        format="json",
    )
    assert receipt_response.status_code == 201

    response = pos_client.get(f"/api/v1/customers/{customer.pk}/entries")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(item["kind"], item["points"]) for item in results] == [("accrual", 10), ("adjustment", -50), ("welcome", 300)]
    assert results[0]["receipt"] == receipt_response.json()["id"]
    assert results[2]["receipt"] is None
    welcome = Entry.objects.get(customer=customer, kind="welcome")
    assert results[2]["expires_on"] == welcome.expires_at.astimezone(MOSCOW).date().isoformat()
    assert results[2]["at"] == welcome.at.astimezone(MOSCOW).isoformat()
    assert results[1]["expires_on"] is None
    assert set(results[0]) >= {"id", "at", "kind", "points", "receipt", "description", "expires_on"}
    assert response.json()["next"] is None


def test_entries_are_paginated(pos_client, merchant):
    customer = customer_create(merchant)
    for n in range(4):
        points_earn(customer=customer, kind="bonus", points=n + 1, description=f"gift {n}", ttl_days=10)

    first = pos_client.get(f"/api/v1/customers/{customer.pk}/entries", {"page_size": 2}).json()
    second = pos_client.get(first["next"]).json()
    third = pos_client.get(second["next"]).json()

    assert [item["points"] for item in first["results"] + second["results"] + third["results"]] == [4, 3, 2, 1, 300]
    assert third["next"] is None

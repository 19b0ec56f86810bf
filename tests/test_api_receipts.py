"""POS API, receipts: calculate, commit, refund (docs/api.md "Receipts"), and the API's error shape."""
import json
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.services import api_key_revoke
from loyalty.models import Entry, Lot, PointsAccount, Receipt, ReceiptLine
from tests.factories import StoreFactory, api_key, client_for, customer_create, program_set, row_counts

MOSCOW = ZoneInfo("Europe/Moscow")
MILK = {"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90"}


def lines_add_up(body: dict) -> None:
    """Line figures add up exactly to the receipt's."""
    lines = body["lines"]
    for name in ("amount", "discount", "redeemed_amount", "total"):
        key = "subtotal" if name == "amount" else name
        assert sum(Decimal(line[name]) for line in lines) == Decimal(body[key]), name
    assert sum(line["redeemed_points"] for line in lines) == body["redeemed_points"]
    assert sum(line["accrued_points"] for line in lines) == body["accrued_points"]
    assert Decimal(body["total"]) == Decimal(body["subtotal"]) - Decimal(body["discount"]) - Decimal(body["redeemed_amount"])


def calculate(client, body):
    return client.post("/api/v1/receipts/calculate", body, format="json")


def commit(client, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post("/api/v1/receipts", body, format="json", **headers)


def refund(client, receipt_id, body, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/receipts/{receipt_id}/refund", body, format="json", **headers)


@pytest.fixture
def customer(merchant):
    return customer_create(merchant)


# --- calculate -----------------------------------------------------------------------------


def test_calculate_the_api_example_and_write_nothing(pos_client, customer):
    # given a customer with the 300-point welcome bonus
    before = row_counts()

    # when the POS prices 2 × 89.90 redeeming 100 points
    response = calculate(pos_client, {"customer": str(customer.pk), "lines": [MILK], "redeem_points": 100})

    # then it is priced exactly as in docs/api.md, and nothing is written
    assert response.status_code == 200
    assert response.json() == {
        "subtotal": "179.80", "discount": "0.00", "redeemed_points": 100, "redeemed_amount": "100.00", "total": "79.80",
        "accrued_points": 3, "max_redeem_points": 179,
        "lines": [{"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90", "amount": "179.80",
                   "discount": "0.00", "redeemed_points": 100, "redeemed_amount": "100.00", "total": "79.80", "accrued_points": 3}],
        "applied": [
            {"kind": "redemption", "name": "Points redeemed", "detail": "100 points at 1.00 each", "points": 100, "amount": "100.00"},
            {"kind": "accrual", "name": "Base accrual 5%", "detail": "5% of 79.80 paid in money, rounded down", "points": 3},
        ],
    }
    assert row_counts() == before


def test_calculate_by_phone_in_any_format(pos_client, merchant):
    customer_create(merchant, phone="+79991234567")

    response = calculate(pos_client, {"phone": "8 (999) 123-45-67", "lines": [MILK], "redeem_points": "max"})

    assert response.status_code == 200
    assert (response.json()["redeemed_points"], response.json()["total"], response.json()["accrued_points"]) == (179, "0.80", 0)


def test_calculate_for_an_unknown_phone_is_404(pos_client):
    response = calculate(pos_client, {"phone": "+79990001122", "lines": [MILK]})

    assert response.status_code == 404
    assert response.json()["code"] == "customer_not_found"


def test_max_redeems_max_redeem_points(pos_client, customer):
    response = calculate(pos_client, {"customer": str(customer.pk), "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}], "redeem_points": "max"})

    body = response.json()
    assert (body["max_redeem_points"], body["redeemed_points"], body["redeemed_amount"], body["total"], body["accrued_points"]) == (
        300, 300, "300.00", "700.00", 35,
    )


def test_more_than_the_balance_is_422_insufficient_points(pos_client, customer):
    response = calculate(pos_client, {"customer": str(customer.pk), "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}], "redeem_points": 301})

    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_points"
    assert set(response.json()) == {"code", "detail", "fields"}


def test_within_the_balance_over_the_cap_is_422_redeem_over_cap(pos_client, merchant, customer):
    program_set(merchant, max_redeem_percent=Decimal("30.00"))

    over = calculate(pos_client, {"customer": str(customer.pk), "lines": [MILK], "redeem_points": 54})
    at_cap = calculate(pos_client, {"customer": str(customer.pk), "lines": [MILK], "redeem_points": 53})

    # 30% of 179.80 = 53.94 → 53 points at most
    assert over.status_code == 422
    assert over.json()["code"] == "redeem_over_cap"
    assert at_cap.status_code == 200
    assert at_cap.json()["max_redeem_points"] == 53


def test_an_anonymous_sale_cannot_redeem(pos_client):
    response = calculate(pos_client, {"lines": [MILK], "redeem_points": 1})

    assert response.status_code == 422
    assert response.json()["code"] == "customer_required"


def test_three_lines_of_33_33_with_an_odd_redemption_add_up_exactly(pos_client, customer):
    lines = [{"sku": sku, "quantity": "1", "price": "33.33"} for sku in ("A", "B", "C")]

    body = calculate(pos_client, {"customer": str(customer.pk), "lines": lines, "redeem_points": 7}).json()

    assert body["subtotal"] == "99.99"
    assert [line["redeemed_amount"] for line in body["lines"]] == ["3.00", "2.00", "2.00"]
    assert [line["total"] for line in body["lines"]] == ["30.33", "31.33", "31.33"]
    assert body["total"] == "92.99"
    assert [line["accrued_points"] for line in body["lines"]] == [1, 2, 1]
    assert body["accrued_points"] == 4
    lines_add_up(body)


def test_many_lines_with_max_redemption_add_up_exactly(pos_client, merchant, customer):
    program_set(merchant, accrual_percent=Decimal("7.00"), max_redeem_percent=Decimal("43.00"))
    lines = [{"sku": f"S{n}", "quantity": str(1 + n % 3), "price": f"{n * 7 % 97}.{n * 13 % 100:02d}"} for n in range(1, 40)]

    body = calculate(pos_client, {"customer": str(customer.pk), "lines": lines, "redeem_points": "max"}).json()

    assert body["redeemed_points"] == 300
    lines_add_up(body)


def test_a_thousand_lines_is_the_limit_and_is_accepted(pos_client, customer):
    lines = [{"sku": f"S{n}", "quantity": "1", "price": "1.00"} for n in range(1000)]

    response = calculate(pos_client, {"customer": str(customer.pk), "lines": lines, "redeem_points": 300})

    assert response.status_code == 200
    assert (response.json()["subtotal"], response.json()["total"], response.json()["accrued_points"]) == ("1000.00", "700.00", 35)
    lines_add_up(response.json())


# --- bad input -----------------------------------------------------------------------------

LINE = {"sku": "X", "quantity": "1", "price": "10.00"}
BAD_DRAFTS = [
    pytest.param({"lines": [{**LINE, "quantity": "-1"}]}, "lines[0].quantity", id="negative-quantity"),
    pytest.param({"lines": [{**LINE, "quantity": "0"}]}, "lines[0].quantity", id="zero-quantity"),
    pytest.param({"lines": [{**LINE, "quantity": "0.0001"}]}, "lines[0].quantity", id="quantity-four-places"),
    pytest.param({"lines": [{**LINE, "quantity": 1e20}]}, "lines[0].quantity", id="json-number-with-exponent"),
    pytest.param({"lines": [{**LINE, "quantity": True}]}, "lines[0].quantity", id="bool-quantity"),
    pytest.param({"lines": [{**LINE, "price": "-10.00"}]}, "lines[0].price", id="negative-price"),
    pytest.param({"lines": [{**LINE, "price": "ten"}]}, "lines[0].price", id="malformed-price"),
    pytest.param({"lines": [{**LINE, "price": "NaN"}]}, "lines[0].price", id="nan-price"),
    pytest.param({"lines": [{**LINE, "price": "Infinity"}]}, "lines[0].price", id="infinite-price"),
    pytest.param({"lines": [{**LINE, "price": "1e20"}]}, "lines[0].price", id="exponent-price"),
    pytest.param({"lines": [{**LINE, "price": "1234567890123.00"}]}, "lines[0].price", id="thirteen-digit-price"),
    pytest.param({"lines": [{**LINE, "quantity": "1000", "price": "999999999999"}]}, "lines[0].price", id="absurd-line-amount"),
    pytest.param({"lines": [{**LINE, "price": "10.001"}]}, "lines[0].price", id="price-three-places"),
    pytest.param({"lines": [{**LINE, "price": 89.999}]}, "lines[0].price", id="float-price-too-precise"),
    pytest.param({"lines": [{**LINE, "price": None}]}, "lines[0].price", id="null-price"),
    pytest.param({"lines": [{**LINE, "sku": ""}]}, "lines[0].sku", id="empty-sku"),
    pytest.param({"lines": [{**LINE, "sku": 5}]}, "lines[0].sku", id="number-sku"),
    pytest.param({"lines": [{**LINE, "sku": "x" * 65}]}, "lines[0].sku", id="long-sku"),
    pytest.param({"lines": [LINE, "milk"]}, "lines[1]", id="line-not-object"),
    pytest.param({"lines": []}, "lines", id="no-lines"),
    pytest.param({}, "lines", id="missing-lines"),
    pytest.param({"lines": "MILK"}, "lines", id="lines-not-list"),
    pytest.param({"lines": [LINE] * 1001}, "lines", id="over-1000-lines"),
    pytest.param({"lines": [{**LINE, "price": "999999999999"}, {**LINE, "price": "999999999999"}]}, "lines", id="absurd-total"),
    pytest.param({"lines": [LINE], "redeem_points": -1}, "redeem_points", id="negative-redeem"),
    pytest.param({"lines": [LINE], "redeem_points": "10"}, "redeem_points", id="string-redeem"),
    pytest.param({"lines": [LINE], "redeem_points": 1.5}, "redeem_points", id="float-redeem"),
    pytest.param({"lines": [LINE], "redeem_points": 10**13}, "redeem_points", id="absurd-redeem"),
    pytest.param({"lines": [LINE], "purchased_at": "yesterday"}, "purchased_at", id="malformed-purchased-at"),
    pytest.param({"lines": [LINE], "purchased_at": "2026-01-01T10:00:00"}, "purchased_at", id="naive-purchased-at"),
    pytest.param({"lines": [LINE], "purchased_at": "2999-01-01T10:00:00+03:00"}, "purchased_at", id="future-purchased-at"),
    pytest.param({"lines": [LINE], "purchased_at": 1700000000}, "purchased_at", id="number-purchased-at"),
    pytest.param({"lines": [LINE], "promo_codes": "SPRING"}, "promo_codes", id="promo-codes-not-list"),
    pytest.param({"lines": [LINE], "store": 5}, "store", id="number-store"),
    pytest.param({"lines": [LINE], "store": "nowhere"}, "store", id="unknown-store"),
]


@pytest.mark.parametrize(("body", "field"), BAD_DRAFTS)
def test_bad_input_to_commit_is_400_with_the_field_and_writes_nothing(pos_client, customer, body, field):
    before = row_counts()

    response = commit(pos_client, {"customer": str(customer.pk), "number": "1", **body}, key="bad-input")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"], response.json()
    assert row_counts() == before


@pytest.mark.parametrize(("body", "field"), BAD_DRAFTS)
def test_bad_input_to_calculate_is_400_with_the_field(pos_client, customer, body, field):
    response = calculate(pos_client, {"customer": str(customer.pk), **body})

    assert response.status_code == 400
    assert field in response.json()["fields"]


@pytest.mark.parametrize("number", [None, "", "   ", "x" * 65, 17])
def test_commit_needs_a_receipt_number(pos_client, customer, number):
    before = row_counts()

    response = commit(pos_client, {"customer": str(customer.pk), "number": number, "lines": [LINE]}, key="k")

    assert response.status_code == 400
    assert "number" in response.json()["fields"]
    assert row_counts() == before


@pytest.mark.parametrize("payload", ["{not json", "[1, 2", ""])
def test_malformed_json_is_400(pos_client, customer, payload):
    before = row_counts()

    response = pos_client.post("/api/v1/receipts", data=payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")

    assert response.status_code == 400
    assert set(response.json()) == {"code", "detail", "fields"}
    assert row_counts() == before


def test_a_json_array_body_is_400(pos_client):
    response = pos_client.post("/api/v1/receipts", [LINE], format="json")

    assert response.status_code == 400
    assert "non_field_errors" in response.json()["fields"]


def test_a_body_over_one_mebibyte_is_413(pos_client, customer):
    before = row_counts()
    body = {"customer": str(customer.pk), "number": "1", "lines": [{**LINE, "name": "x" * 200}] * 6000}
    assert len(json.dumps(body)) > 1024 * 1024

    response = commit(pos_client, body, key="big")

    assert response.status_code == 413
    assert response.json() == {"code": "request_too_large", "detail": response.json()["detail"], "fields": {}}
    assert row_counts() == before


def test_an_unknown_url_under_api_is_a_404_in_the_error_shape(pos_client):
    response = pos_client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"code": "not_found", "detail": "No such endpoint or object.", "fields": {}}


def test_an_unknown_url_without_a_key_is_still_json(client):
    response = client.get("/api/v2/receipts")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_wrong_method_is_405_in_the_error_shape(pos_client):
    response = pos_client.get("/api/v1/receipts/calculate")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert set(response.json()) == {"code", "detail", "fields"}


def test_a_form_encoded_body_is_415(pos_client):
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": "x"})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.parametrize("header", [None, "Bearer wrong-key", "Token abc", "Bearer", "Bearer a b"])
def test_a_missing_or_wrong_key_is_401(merchant, customer, header):
    from rest_framework.test import APIClient

    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    before = row_counts()

    response = client.post("/api/v1/receipts", {"customer": str(customer.pk), "number": "1", "lines": [LINE]}, format="json")

    assert response.status_code == 401
    assert response.json()["code"] in ("not_authenticated", "authentication_failed")
    assert response["WWW-Authenticate"] == "Bearer"
    assert row_counts() == before


def test_a_revoked_key_is_401(merchant, customer):
    from rest_framework.test import APIClient

    key, secret = api_key(merchant)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(f"/api/v1/customers/{customer.pk}").status_code == 200

    api_key_revoke(key=key)

    response = client.get(f"/api/v1/customers/{customer.pk}")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- commit --------------------------------------------------------------------------------


def test_commit_the_api_example(pos_client, merchant, customer):
    response = commit(pos_client, {"customer": str(customer.pk), "number": "A-000123", "lines": [MILK], "redeem_points": 100}, key="k1")

    assert response.status_code == 201
    body = response.json()
    receipt = Receipt.objects.get(merchant=merchant)
    assert (body["id"], body["number"]) == (str(receipt.pk), "A-000123")
    assert (body["total"], body["redeemed_points"], body["accrued_points"]) == ("79.80", 100, 3)
    assert body["balance"] == {"available": 203, "pending": 0}
    assert (receipt.subtotal, receipt.total, receipt.store.code) == (Decimal("179.80"), Decimal("79.80"), "main")
    assert list(Entry.objects.filter(receipt=receipt).order_by("id").values_list("kind", "points")) == [("redemption", -100), ("accrual", 3)]
    line = ReceiptLine.objects.get(receipt=receipt)
    assert (line.quantity, line.amount, line.redeemed_points, line.total, line.accrued_points) == (
        Decimal("2"), Decimal("179.80"), 100, Decimal("79.80"), 3,
    )
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["balance"] == {"available": 203, "pending": 0}


def test_commit_max_then_the_balance_is_what_was_left(pos_client, customer):
    body = commit(pos_client, {"customer": str(customer.pk), "number": "1", "lines": [MILK], "redeem_points": "max"}).json()

    assert (body["redeemed_points"], body["total"], body["accrued_points"]) == (179, "0.80", 0)
    assert body["balance"] == {"available": 121, "pending": 0}


def test_commit_refused_for_insufficient_points_writes_nothing(pos_client, customer):
    before = row_counts()

    response = commit(pos_client, {"customer": str(customer.pk), "number": "1", "lines": [{**LINE, "price": "1000.00"}], "redeem_points": 301}, key="k")

    assert response.status_code == 422
    assert response.json()["code"] == "insufficient_points"
    assert row_counts() == before


def test_an_anonymous_sale_is_recorded_without_points(pos_client, merchant):
    response = commit(pos_client, {"number": "1", "lines": [MILK]})

    assert response.status_code == 201
    assert (response.json()["balance"], response.json()["accrued_points"], response.json()["total"]) == (None, 0, "179.80")
    assert Receipt.objects.get(merchant=merchant).customer is None
    assert Entry.objects.count() == 0


def test_same_pos_number_in_another_store_is_a_different_receipt(pos_client, merchant, customer):
    StoreFactory(merchant=merchant, code="north")

    first = commit(pos_client, {"customer": str(customer.pk), "number": "1", "lines": [LINE]}, key="a")
    second = commit(pos_client, {"customer": str(customer.pk), "number": "1", "store": "north", "lines": [LINE]}, key="b")

    assert (first.status_code, second.status_code) == (201, 201)
    assert sorted(Receipt.objects.values_list("store__code", flat=True)) == ["main", "north"]


def test_a_store_bound_key_commits_in_its_store_and_not_another(merchant, customer):
    north = StoreFactory(merchant=merchant, code="north")
    client = client_for(merchant, store=north)

    ok = commit(client, {"customer": str(customer.pk), "number": "1", "lines": [LINE]})
    other = commit(client, {"customer": str(customer.pk), "number": "2", "store": "main", "lines": [LINE]})

    assert ok.status_code == 201
    assert Receipt.objects.get(pk=ok.json()["id"]).store == north
    assert other.status_code == 400
    assert "store" in other.json()["fields"]


def test_offline_purchase_in_the_past_dates_the_points(pos_client, merchant, customer):
    # given a till that sends a purchase made ten days ago
    purchased_at = (timezone.now() - timedelta(days=10)).astimezone(MOSCOW).replace(microsecond=0)

    response = commit(pos_client, {"customer": str(customer.pk), "number": "1", "purchased_at": purchased_at.isoformat(),
                                   "lines": [{**LINE, "price": "1000.00"}]})

    # then the points live 365 days from the purchase, not from now
    assert response.status_code == 201
    lot = Lot.objects.get(receipt_id=response.json()["id"])
    assert lot.expires_at == purchased_at + timedelta(days=365)
    expiring = pos_client.get(f"/api/v1/customers/{customer.pk}").json()["expiring"]
    assert expiring[-1] == {"points": 50, "on": (purchased_at + timedelta(days=365)).date().isoformat()}
    entries = pos_client.get(f"/api/v1/customers/{customer.pk}/entries").json()["results"]
    accrual = next(item for item in entries if item["kind"] == "accrual")
    assert accrual["at"] == purchased_at.isoformat()


def test_pending_days_hold_points_until_activate_points_runs(pos_client, merchant, customer):
    program_set(merchant, pending_days=7)

    body = commit(pos_client, {"customer": str(customer.pk), "number": "1", "lines": [{**LINE, "price": "1000.00"}]}).json()

    assert body["balance"] == {"available": 300, "pending": 50}
    # the delay passes by the clock, but nothing changes until the job runs
    call_command("activate_points", "--now", (timezone.now() + timedelta(days=6)).isoformat(), stdout=open("/dev/null", "w"))
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["balance"] == {"available": 300, "pending": 50}
    call_command("activate_points", "--now", (timezone.now() + timedelta(days=7, minutes=1)).isoformat(), stdout=open("/dev/null", "w"))
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["balance"] == {"available": 350, "pending": 0}


def test_receipt_detail(pos_client, customer):
    created = commit(pos_client, {"customer": str(customer.pk), "number": "R-1", "lines": [MILK], "redeem_points": 100}).json()

    response = pos_client.get(f"/api/v1/receipts/{created['id']}")

    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["store"], body["customer"], body["total"], body["refunded_amount"]) == ("R-1", "main", str(customer.pk), "79.80", "0.00")
    assert body["lines"][0]["returned_quantity"] == "0"


# --- refunds -------------------------------------------------------------------------------


@pytest.fixture
def two_line_receipt(pos_client, customer):
    """Milk 2 × 89.90 and bread 40.00, 100 points redeemed: 82 + 18 points, 4 + 1 accrued."""
    body = commit(pos_client, {"customer": str(customer.pk), "number": "1", "redeem_points": 100,
                               "lines": [MILK, {"sku": "BREAD", "quantity": "1", "price": "40.00"}]}).json()
    assert [(line["redeemed_points"], line["total"], line["accrued_points"]) for line in body["lines"]] == [(82, "97.80", 4), (18, "22.00", 1)]
    assert body["balance"] == {"available": 205, "pending": 0}
    return body


def test_partial_then_full_refund_gives_back_exactly_what_the_receipt_took(pos_client, customer, two_line_receipt):
    receipt_id = two_line_receipt["id"]

    # when one milk comes back
    partial = refund(pos_client, receipt_id, {"lines": [{"sku": "MILK-1", "quantity": "1"}]}, key="r1")

    # then half of the milk line: its money, its points earned and its points spent
    assert partial.status_code == 200
    body = partial.json()
    assert (body["refunded_amount"], body["points_reversed"], body["points_returned"]) == ("48.90", 2, 41)
    assert body["balance"] == {"available": 244, "pending": 0}

    # when everything left comes back
    full = refund(pos_client, receipt_id, {}, key="r2")

    assert full.status_code == 200
    body = full.json()
    assert (body["refunded_amount"], body["points_reversed"], body["points_returned"]) == ("70.90", 3, 59)
    assert body["balance"] == {"available": 300, "pending": 0}
    # and the refunds sum to what the receipt accrued, redeemed and cost
    receipt = Receipt.objects.get(pk=receipt_id)
    assert (receipt.refunded_amount, receipt.points_reversed, receipt.points_returned, receipt.fully_refunded) == (
        Decimal("119.80"), 5, 100, True,
    )
    kinds = list(Entry.objects.filter(customer=customer, kind="refund").order_by("id").values_list("points", flat=True))
    assert kinds == [-2, 41, -3, 59]


def test_refunding_one_unit_at_a_time_sums_to_the_line(pos_client, customer):
    created = commit(pos_client, {"customer": str(customer.pk), "number": "1", "redeem_points": 7,
                                  "lines": [{"sku": "A", "quantity": "3", "price": "33.33"}]}).json()
    assert (created["total"], created["accrued_points"], created["redeemed_points"]) == ("92.99", 4, 7)

    results = [refund(pos_client, created["id"], {"lines": [{"sku": "A", "quantity": "1"}]}).json() for _ in range(3)]

    assert [r["refunded_amount"] for r in results] == ["31.00", "30.99", "31.00"]
    assert [r["points_reversed"] for r in results] == [1, 1, 2]
    assert [r["points_returned"] for r in results] == [2, 2, 3]
    assert results[-1]["balance"] == {"available": 300, "pending": 0}


def test_returning_more_than_was_bought_is_422_and_writes_nothing(pos_client, two_line_receipt):
    before = row_counts()

    response = refund(pos_client, two_line_receipt["id"], {"lines": [{"sku": "MILK-1", "quantity": "3"}]}, key="r")

    assert response.status_code == 422
    assert response.json()["code"] == "refund_exceeds_purchase"
    assert row_counts() == before


def test_returning_more_than_is_left_after_a_partial_refund_is_422(pos_client, two_line_receipt):
    assert refund(pos_client, two_line_receipt["id"], {"lines": [{"sku": "MILK-1", "quantity": "1.5"}]}).status_code == 200

    response = refund(pos_client, two_line_receipt["id"], {"lines": [{"sku": "MILK-1", "quantity": "1"}]})

    assert response.status_code == 422
    assert response.json()["code"] == "refund_exceeds_purchase"


def test_refunding_an_empty_receipt_again_is_422(pos_client, two_line_receipt):
    assert refund(pos_client, two_line_receipt["id"], {}).status_code == 200
    before = row_counts()

    response = refund(pos_client, two_line_receipt["id"], {})

    assert response.status_code == 422
    assert response.json()["code"] == "nothing_to_refund"
    assert row_counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"sku": "NOPE", "quantity": "1"}]}, "lines[0].sku"),
        ({"lines": [{"sku": "MILK-1", "quantity": "0"}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "MILK-1", "quantity": "-1"}]}, "lines[0].quantity"),
        ({"lines": [{"sku": "MILK-1", "quantity": "one"}]}, "lines[0].quantity"),
        ({"lines": [{"quantity": "1"}]}, "lines[0]"),
        ({"lines": []}, "lines"),
        ({"lines": "MILK-1"}, "lines"),
    ],
)
def test_bad_refund_input_is_400_and_writes_nothing(pos_client, two_line_receipt, body, field):
    before = row_counts()

    response = refund(pos_client, two_line_receipt["id"], body, key="r")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert row_counts() == before


def test_refund_of_an_unknown_receipt_is_404(pos_client):
    response = refund(pos_client, "00000000-0000-0000-0000-000000000000", {})

    assert response.status_code == 404
    assert response.json()["code"] == "receipt_not_found"


def test_refund_debt_is_visible_blocks_redemption_and_is_repaid_by_the_next_accrual(pos_client, merchant):
    # given a customer without welcome bonus who earned 50 points on a TV and spent them on a cable
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant)
    tv = commit(pos_client, {"customer": str(customer.pk), "number": "1", "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}]}).json()
    cable = commit(pos_client, {"customer": str(customer.pk), "number": "2", "redeem_points": 50,
                                "lines": [{"sku": "CABLE", "quantity": "1", "price": "50.00"}]}).json()
    assert cable["balance"] == {"available": 0, "pending": 0}

    # when the TV is returned
    body = refund(pos_client, tv["id"], {}).json()

    # then the 50 points are taken back though spent: the balance shows the debt
    assert (body["refunded_amount"], body["points_reversed"], body["points_returned"]) == ("1000.00", 50, 0)
    assert body["balance"] == {"available": -50, "pending": 0}
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["balance"] == {"available": -50, "pending": 0}
    assert PointsAccount.objects.get(customer=customer).debt == 50

    # and redemptions are refused until it is repaid
    refused = commit(pos_client, {"customer": str(customer.pk), "number": "3", "redeem_points": 1, "lines": [LINE]})
    assert refused.status_code == 422
    assert refused.json()["code"] == "insufficient_points"
    assert calculate(pos_client, {"customer": str(customer.pk), "lines": [LINE], "redeem_points": "max"}).json()["redeemed_points"] == 0

    # when the next purchase earns 30 points they repay the debt
    repaid = commit(pos_client, {"customer": str(customer.pk), "number": "4", "lines": [{"sku": "SOFA", "quantity": "1", "price": "600.00"}]}).json()
    assert repaid["accrued_points"] == 30
    assert repaid["balance"] == {"available": -20, "pending": 0}
    more = commit(pos_client, {"customer": str(customer.pk), "number": "5", "lines": [{"sku": "BED", "quantity": "1", "price": "1000.00"}]}).json()
    assert more["balance"] == {"available": 30, "pending": 0}
    assert PointsAccount.objects.get(customer=customer).debt == 0


def test_returning_the_cable_gives_the_spent_points_back(pos_client, merchant):
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant)
    commit(pos_client, {"customer": str(customer.pk), "number": "1", "lines": [{"sku": "TV", "quantity": "1", "price": "1000.00"}]})
    cable = commit(pos_client, {"customer": str(customer.pk), "number": "2", "redeem_points": 50,
                                "lines": [{"sku": "CABLE", "quantity": "1", "price": "50.00"}]}).json()

    body = refund(pos_client, cable["id"], {}).json()

    assert (body["refunded_amount"], body["points_reversed"], body["points_returned"]) == ("0.00", 0, 50)
    assert body["balance"] == {"available": 50, "pending": 0}


def test_a_refund_on_an_anonymous_receipt_moves_money_only(pos_client):
    created = commit(pos_client, {"number": "1", "lines": [MILK]}).json()

    body = refund(pos_client, created["id"], {"lines": [{"sku": "MILK-1", "quantity": "1"}]}).json()

    assert (body["refunded_amount"], body["points_reversed"], body["points_returned"], body["balance"]) == ("89.90", 0, 0, None)

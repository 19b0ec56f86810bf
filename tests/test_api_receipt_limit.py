"""`max_receipt_amount` and `counter_confirm_amount` (docs/api.md "Program settings"): validated in
PATCH /program, and a receipt above the limit refused with 422 receipt_over_limit on every path."""
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Role
from loyalty.models import Program, Receipt
from tests.factories import MembershipFactory, MerchantFactory, client_for, customer_create, program_set, row_counts

LINE = {"sku": "TV-1", "name": "TV", "quantity": "1", "price": "1000.01"}


@pytest.fixture
def customer(merchant):
    return customer_create(merchant)


def test_program_limits_default_off_and_confirm_at_50000(admin_client):
    body = admin_client.get("/api/v1/program").json()
    assert body["max_receipt_amount"] is None
    assert body["counter_confirm_amount"] == "50000.00"


def test_patch_sets_and_clears_the_receipt_limit(admin_client, merchant):
    response = admin_client.patch("/api/v1/program", {"max_receipt_amount": "1000.00", "counter_confirm_amount": "500"}, format="json")

    assert response.status_code == 200
    assert (response.json()["max_receipt_amount"], response.json()["counter_confirm_amount"]) == ("1000.00", "500.00")
    assert Program.objects.get(merchant=merchant).max_receipt_amount == Decimal("1000.00")

    cleared = admin_client.patch("/api/v1/program", {"max_receipt_amount": None, "counter_confirm_amount": None}, format="json")
    assert (cleared.json()["max_receipt_amount"], cleared.json()["counter_confirm_amount"]) == (None, None)


@pytest.mark.parametrize("value", ["0", "0.00", "-1", "10.001", "abc", "", "NaN", "Infinity", 1.005, True, [], {}, "1" * 20])
@pytest.mark.parametrize("field", ["max_receipt_amount", "counter_confirm_amount"])
def test_patch_refuses_a_bad_limit_naming_the_field(admin_client, merchant, field, value):
    before = row_counts()
    response = admin_client.patch("/api/v1/program", {field: value}, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert row_counts() == before
    assert getattr(Program.objects.get(merchant=merchant), field) == (None if field == "max_receipt_amount" else Decimal("50000.00"))


def test_patch_limit_at_the_currency_precision(db):
    yen = MerchantFactory(currency="JPY")
    client = client_for(yen, scope="admin")
    assert client.patch("/api/v1/program", {"max_receipt_amount": "1000.5"}, format="json").status_code == 400
    response = client.patch("/api/v1/program", {"max_receipt_amount": "1000"}, format="json")
    assert response.status_code == 200
    assert response.json()["max_receipt_amount"] == "1000"


def test_calculate_over_the_limit_is_422_receipt_over_limit(pos_client, merchant, customer):
    program_set(merchant, max_receipt_amount=Decimal("1000.00"))

    response = pos_client.post("/api/v1/receipts/calculate", {"customer": str(customer.pk), "lines": [LINE]}, format="json")

    assert response.status_code == 422
    assert response.json()["code"] == "receipt_over_limit"
    assert "1000.00" in response.json()["detail"]


def test_commit_over_the_limit_is_422_and_writes_nothing(pos_client, merchant, customer):
    program_set(merchant, max_receipt_amount=Decimal("1000.00"))
    before = row_counts()

    response = pos_client.post("/api/v1/receipts", {"number": "T-1", "customer": str(customer.pk), "lines": [LINE]}, format="json",
                               HTTP_IDEMPOTENCY_KEY="k-limit")

    assert response.status_code == 422
    assert response.json()["code"] == "receipt_over_limit"
    assert row_counts() == before
    # Corrected and retried with the same key, it goes through: a refused request is not stored.
    ok = pos_client.post("/api/v1/receipts", {"number": "T-1", "customer": str(customer.pk), "lines": [{**LINE, "price": "1000.00"}]},
                         format="json", HTTP_IDEMPOTENCY_KEY="k-limit")
    assert ok.status_code == 201


def test_anonymous_commit_over_the_limit_is_refused_too(pos_client, merchant):
    program_set(merchant, max_receipt_amount=Decimal("1000.00"))
    response = pos_client.post("/api/v1/receipts", {"number": "T-2", "lines": [LINE]}, format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "receipt_over_limit"
    assert Receipt.objects.filter(merchant=merchant).count() == 0


def test_limit_is_on_the_subtotal_before_points_and_discounts(pos_client, merchant, customer):
    """300 points would bring 1,000.01 down to 700.01; the limit still looks at what was rung up."""
    program_set(merchant, max_receipt_amount=Decimal("1000.00"))
    response = pos_client.post("/api/v1/receipts/calculate", {"customer": str(customer.pk), "lines": [LINE], "redeem_points": "max"},
                               format="json")
    assert response.status_code == 422
    assert response.json()["code"] == "receipt_over_limit"


def test_office_program_form_sets_the_limits_with_help(merchant):
    owner = MembershipFactory(merchant=merchant, role=Role.OWNER)
    client = Client()
    client.force_login(owner.user)
    page = client.get("/office/program/").content.decode()
    assert "Largest receipt accepted" in page and "Leave empty for no limit." in page
    assert "Ask the cashier to confirm a sale above" in page and 'value="50000.00"' in page

    data = {"accrual_percent": "5", "max_redeem_percent": "100", "point_value": "1", "points_ttl_days": "365", "pending_days": "0",
            "welcome_bonus": "300", "welcome_bonus_ttl_days": "14", "counter_confirm_amount": "20000", "max_receipt_amount": "100000"}
    assert client.post("/office/program/", data).status_code == 302
    program = Program.objects.get(merchant=merchant)
    assert (program.counter_confirm_amount, program.max_receipt_amount) == (Decimal("20000.00"), Decimal("100000.00"))

    bad = client.post("/office/program/", {**data, "max_receipt_amount": "0"})
    assert bad.status_code == 200 and bad.context["form"].errors.get("max_receipt_amount")
    assert Program.objects.get(merchant=merchant).max_receipt_amount == Decimal("100000.00")

"""Program settings API, admin scope (docs/api.md "Program settings")."""
from decimal import Decimal

import pytest

from accounts.models import AuditEvent
from loyalty.models import Program
from tests.factories import customer_create, row_counts

def base_settings(body: dict) -> dict:
    """The program's own settings, without the sections other apps register (referrals' "referral")."""
    from loyalty.extensions import program_sections

    return {key: value for key, value in body.items() if key not in {section.name for section in program_sections()}}


DEFAULTS = {
    "accrual_percent": "5.00", "max_redeem_percent": "100.00", "point_value": "1.00", "points_ttl_days": 365,
    "pending_days": 0, "welcome_bonus": 300, "welcome_bonus_ttl_days": 14, "max_receipt_amount": None, "counter_confirm_amount": "50000.00",
    "max_marketing_per_week": None,
}


def test_get_returns_the_program(admin_client):
    response = admin_client.get("/api/v1/program")

    assert response.status_code == 200
    assert base_settings(response.json()) == DEFAULTS


def test_patch_changes_only_the_fields_sent_and_is_audited(admin_client, merchant):
    response = admin_client.patch("/api/v1/program", {"accrual_percent": "7.50", "points_ttl_days": None, "welcome_bonus": 500}, format="json")

    assert response.status_code == 200
    assert base_settings(response.json()) == {**DEFAULTS, "accrual_percent": "7.50", "points_ttl_days": None, "welcome_bonus": 500}
    program = Program.objects.get(merchant=merchant)
    assert (program.accrual_percent, program.points_ttl_days, program.welcome_bonus) == (Decimal("7.50"), None, 500)
    event = AuditEvent.objects.get(merchant=merchant, action="program.updated")
    assert event.data["after"] == {"accrual_percent": "7.50", "points_ttl_days": "None", "welcome_bonus": "500"}
    assert admin_client.get("/api/v1/program").json()["accrual_percent"] == "7.50"


def test_a_new_rate_applies_from_the_next_receipt(admin_client, merchant):
    customer = customer_create(merchant)
    admin_client.patch("/api/v1/program", {"accrual_percent": "10.00", "max_redeem_percent": "50.00", "point_value": "0.50"}, format="json")

    body = admin_client.post(
        "/api/v1/receipts/calculate",
        {"customer": str(customer.pk), "lines": [{"sku": "X", "quantity": "1", "price": "100.00"}], "redeem_points": "max"},
        format="json",
    ).json()

    # cap 50% of 100.00 = 50.00 = 100 points at 0.50; 10% of the 50.00 paid = 5.00 = 10 points
    assert (body["max_redeem_points"], body["redeemed_amount"], body["total"], body["accrued_points"]) == (100, "50.00", "50.00", 10)


def test_a_new_welcome_bonus_applies_to_the_next_customer(admin_client, merchant):
    admin_client.patch("/api/v1/program", {"welcome_bonus": 0}, format="json")

    response = admin_client.post("/api/v1/customers", {"phone": "+79990000003"}, format="json")

    assert response.json()["balance"] == {"available": 0, "pending": 0}
    assert response.json()["expiring"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"accrual_percent": "101"}, "accrual_percent"),
        ({"accrual_percent": "-1"}, "accrual_percent"),
        ({"accrual_percent": "5.001"}, "accrual_percent"),
        ({"accrual_percent": 5.555}, "accrual_percent"),
        ({"accrual_percent": 1e100}, "accrual_percent"),
        ({"accrual_percent": "five"}, "accrual_percent"),
        ({"max_redeem_percent": "100.01"}, "max_redeem_percent"),
        ({"point_value": "0"}, "point_value"),
        ({"point_value": None}, "point_value"),
        ({"points_ttl_days": 0}, "points_ttl_days"),
        ({"points_ttl_days": "a year"}, "points_ttl_days"),
        ({"pending_days": -1}, "pending_days"),
        ({"pending_days": None}, "pending_days"),
        ({"welcome_bonus": 1.5}, "welcome_bonus"),
        ({"welcome_bonus_ttl_days": 0}, "welcome_bonus_ttl_days"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_400_with_the_field_and_change_nothing(admin_client, merchant, body, field):
    before = row_counts()

    response = admin_client.patch("/api/v1/program", {"welcome_bonus": 100, **body}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert Program.objects.get(merchant=merchant).welcome_bonus == 300
    assert row_counts() == before


def test_patch_with_a_non_object_is_400(admin_client):
    response = admin_client.patch("/api/v1/program", [1, 2], format="json")

    assert response.status_code == 400


def test_a_pos_key_gets_403_on_program(pos_client, merchant):
    get = pos_client.get("/api/v1/program")
    patch = pos_client.patch("/api/v1/program", {"accrual_percent": "50.00"}, format="json")

    assert (get.status_code, patch.status_code) == (403, 403)
    assert get.json()["code"] == "permission_denied"
    assert Program.objects.get(merchant=merchant).accrual_percent == Decimal("5.00")


def test_program_without_a_key_is_401(client, merchant):
    assert client.get("/api/v1/program").status_code == 401


def test_an_admin_key_can_use_pos_endpoints(admin_client, merchant):
    customer = customer_create(merchant)

    assert admin_client.get(f"/api/v1/customers/{customer.pk}").status_code == 200

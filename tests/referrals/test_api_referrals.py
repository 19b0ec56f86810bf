"""Referral rewards through the API: the worked example end to end, refusals, the cap and returns."""
import uuid

import pytest

from accounts.models import Customer
from loyalty.models import Entry
from referrals.models import ReferralReward
from tests.factories import assert_ledger_consistent, client_for, program_set, row_counts

pytestmark = pytest.mark.django_db

WORKED_EXAMPLE = {
    "referee_welcome_bonus": 500, "referrer_bonus": 50, "referrer_bonus_on": "join", "referee_extra_percent": "2.00",
    "referee_extra_purchases": 3, "referrer_percent": "1.00", "referrer_percent_purchases": None,
    "second_level_percent": "0.50", "monthly_cap": None,
}


def join(pos_client, phone, name, **extra):
    response = pos_client.post("/api/v1/customers", {"phone": phone, "name": name, **extra}, format="json")
    return response


def buy(pos_client, customer_id, number, price="1000.00", sku="BIKE"):
    response = pos_client.post("/api/v1/receipts", {"customer": customer_id, "number": number,
                                                    "lines": [{"sku": sku, "quantity": "1", "price": price}]},
                               format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
    assert response.status_code == 201, response.json()
    return response.json()


def available(pos_client, customer_id) -> int:
    return pos_client.get(f"/api/v1/customers/{customer_id}").json()["balance"]["available"]


@pytest.fixture
def program(merchant, admin_client):
    program_set(merchant, accrual_percent="5.00", welcome_bonus=300, pending_days=0)
    response = admin_client.patch("/api/v1/program", {"referral": WORKED_EXAMPLE}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_program_referral_new_merchant_has_all_off(admin_client):
    body = admin_client.get("/api/v1/program").json()

    assert body["referral"] == {
        "referee_welcome_bonus": None, "referrer_bonus": 0, "referrer_bonus_on": "join", "referee_extra_percent": "0.00",
        "referee_extra_purchases": None, "referrer_percent": "0.00", "referrer_percent_purchases": None,
        "second_level_percent": "0.00", "monthly_cap": None,
    }


def test_program_referral_patch_reads_back(program, admin_client):
    assert program["referral"] == WORKED_EXAMPLE
    assert admin_client.get("/api/v1/program").json()["referral"] == WORKED_EXAMPLE


@pytest.mark.parametrize("bad", [
    {"referrer_percent": "101.00"}, {"referrer_percent": "1.234"}, {"referrer_bonus": -1}, {"referrer_bonus_on": "later"},
    {"monthly_cap": 0}, {"referee_extra_purchases": "x"}, {"unknown": 1}, {"referrer_bonus": None},
])
def test_program_referral_patch_refuses_bad_field_and_writes_nothing(admin_client, bad):
    before = admin_client.get("/api/v1/program").json()

    response = admin_client.patch("/api/v1/program", {"accrual_percent": "7.00", "referral": bad}, format="json")

    assert response.status_code == 400
    field = next(iter(bad))
    assert f"referral.{field}" in response.json()["fields"]
    assert admin_client.get("/api/v1/program").json() == before


def test_program_referral_not_an_object_is_400(admin_client):
    response = admin_client.patch("/api/v1/program", {"referral": [1]}, format="json")
    assert response.status_code == 400
    assert "referral" in response.json()["fields"]


def test_program_referral_pos_key_is_403(merchant):
    assert client_for(merchant, scope="pos").patch("/api/v1/program", {"referral": {}}, format="json").status_code == 403


def test_worked_example_end_to_end(program, pos_client, merchant):
    boris = join(pos_client, "+79990000011", "Boris").json()
    alexander = join(pos_client, "+79990000045", "Alexander", referral_code=boris["referral_code"]).json()
    boris_after_alexander = available(pos_client, boris["id"])
    assert boris_after_alexander == 300 + 50  # Boris joined without a code; Alexander brought him 50
    # Given Alexander gives his code to Artem
    response = join(pos_client, "+79990000067", "Artem", referral_code=alexander["referral_code"])
    assert response.status_code == 201, response.json()
    artem = response.json()
    # Artem has 500 instead of 300, Alexander 50 at once
    assert artem["balance"]["available"] == 500
    assert available(pos_client, alexander["id"]) == 500 + 50

    # When Artem buys for 1,000.00 at 5 %
    receipt = buy(pos_client, artem["id"], "A-1001")

    # Then Artem earns 50 + 20 = 70, and the extra is its own explanation
    assert receipt["accrued_points"] == 70
    kinds = {item["kind"]: item for item in receipt["applied"] if item["kind"] != "referrer_reward"}
    assert kinds["accrual"]["points"] == 50
    assert kinds["referee_extra"]["points"] == 20
    rewards = [item for item in receipt["applied"] if item["kind"] == "referrer_reward"]
    assert [(item["beneficiary"], item["points"]) for item in rewards] == [("Alexander ••45", 10), ("Boris ••11", 5)]
    assert available(pos_client, artem["id"]) == 570
    assert available(pos_client, alexander["id"]) == 560
    assert available(pos_client, boris["id"]) == boris_after_alexander + 5
    # The entries name the friend masked, never their phone
    entry = Entry.objects.filter(customer_id=alexander["id"], kind="referral").order_by("-id").first()
    assert entry.points == 10
    assert "Artem ••67" in entry.description and "A-1001" in entry.description and "+7999" not in entry.description
    assert pos_client.get(f"/api/v1/customers/{alexander['id']}").json()["referrals"] == {"count": 1, "earned": 60}

    # The 2nd and 3rd purchases carry the extra, the 4th does not; Alexander earns on every one
    assert buy(pos_client, artem["id"], "A-1002")["accrued_points"] == 70
    assert buy(pos_client, artem["id"], "A-1003")["accrued_points"] == 70
    fourth = buy(pos_client, artem["id"], "A-1004")
    assert fourth["accrued_points"] == 50
    assert "referee_extra" not in {item["kind"] for item in fourth["applied"]}
    assert available(pos_client, alexander["id"]) == 560 + 30
    for customer_id in (artem["id"], alexander["id"], boris["id"]):
        assert_ledger_consistent(Customer.objects.get(pk=customer_id))


def test_return_reverses_three_beneficiaries_in_proportion(program, pos_client):
    boris = join(pos_client, "+79990000011", "Boris").json()
    alexander = join(pos_client, "+79990000045", "Alexander", referral_code=boris["referral_code"]).json()
    artem = join(pos_client, "+79990000067", "Artem", referral_code=alexander["referral_code"]).json()
    receipt = pos_client.post("/api/v1/receipts", {"customer": artem["id"], "number": "A-2001", "lines": [
        {"sku": "BIKE", "quantity": "1", "price": "500.00"}, {"sku": "HELMET", "quantity": "1", "price": "500.00"}]},
        format="json", HTTP_IDEMPOTENCY_KEY="k-1").json()
    assert receipt["accrued_points"] == 70
    before = {key: available(pos_client, person["id"]) for key, person in (("artem", artem), ("alexander", alexander), ("boris", boris))}

    # When Artem returns half of the receipt
    half = pos_client.post(f"/api/v1/receipts/{receipt['id']}/refund", {"lines": [{"sku": "BIKE", "quantity": "1"}]},
                           format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert half.status_code == 200, half.json()

    # Then the base and the extra go back with the line, and each beneficiary loses half
    assert half.json()["points_reversed"] == 35
    assert available(pos_client, artem["id"]) == before["artem"] - 35
    assert available(pos_client, alexander["id"]) == before["alexander"] - 5
    assert available(pos_client, boris["id"]) == before["boris"] - 2

    # And the rest of the return takes back exactly what remains
    pos_client.post(f"/api/v1/receipts/{receipt['id']}/refund", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert available(pos_client, artem["id"]) == before["artem"] - 70
    assert available(pos_client, alexander["id"]) == before["alexander"] - 10
    assert available(pos_client, boris["id"]) == before["boris"] - 5
    reversed_entry = Entry.objects.filter(customer_id=alexander["id"], kind="referral", points__lt=0).first()
    assert "Artem ••67" in reversed_entry.description
    for person in (artem, alexander, boris):
        assert_ledger_consistent(Customer.objects.get(pk=person["id"]))


def test_join_with_unknown_code_is_422_and_writes_nothing(program, pos_client):
    before = row_counts()

    response = join(pos_client, "+79990000067", "Artem", referral_code="999999")

    assert response.status_code == 422
    assert response.json()["code"] == "referral_code_unknown"
    assert row_counts() == before


def test_join_with_own_email_is_self_referral(program, pos_client):
    alexander = join(pos_client, "+79990000045", "Alexander", email="alex@example.com").json()
    before = row_counts()

    response = join(pos_client, "+79990000099", "Alex again", email="ALEX@example.com", referral_code=alexander["referral_code"])

    assert response.status_code == 422
    assert response.json()["code"] == "self_referral"
    assert row_counts() == before


def test_join_with_own_phone_is_self_referral(program, pos_client):
    alexander = join(pos_client, "+79990000045", "Alexander").json()

    response = join(pos_client, "8 999 000-00-45", "Alex", referral_code=alexander["referral_code"])

    assert response.status_code == 422
    assert response.json()["code"] == "self_referral"


def test_monthly_cap_counts_join_and_purchase_rewards(merchant, admin_client, pos_client):
    program_set(merchant, accrual_percent="5.00", welcome_bonus=300)
    admin_client.patch("/api/v1/program", {"referral": {**WORKED_EXAMPLE, "monthly_cap": 55}}, format="json")
    alexander = join(pos_client, "+79990000045", "Alexander").json()
    artem = join(pos_client, "+79990000067", "Artem", referral_code=alexander["referral_code"]).json()
    assert available(pos_client, alexander["id"]) == 300 + 50

    receipt = buy(pos_client, artem["id"], "A-1")

    reward = next(item for item in receipt["applied"] if item["kind"] == "referrer_reward")
    assert reward["points"] == 5
    assert reward["not_credited"] == 5
    assert "monthly cap" in reward["detail"]
    assert available(pos_client, alexander["id"]) == 355
    assert ReferralReward.objects.get(receipt__number="A-1").capped == 5


def test_referrer_bonus_on_first_purchase(merchant, admin_client, pos_client):
    program_set(merchant, accrual_percent="5.00", welcome_bonus=300)
    admin_client.patch("/api/v1/program", {"referral": {"referrer_bonus": 50, "referrer_bonus_on": "first_purchase"}}, format="json")
    alexander = join(pos_client, "+79990000045", "Alexander").json()
    artem = join(pos_client, "+79990000067", "Artem", referral_code=alexander["referral_code"]).json()
    assert available(pos_client, alexander["id"]) == 300

    first = buy(pos_client, artem["id"], "A-1")
    buy(pos_client, artem["id"], "A-2")

    assert [item["points"] for item in first["applied"] if item["kind"] == "referrer_reward"] == [50]
    assert first["accrued_points"] == 50
    assert available(pos_client, alexander["id"]) == 350


def test_referrer_rewards_follow_pending_days(merchant, admin_client, pos_client):
    program_set(merchant, accrual_percent="5.00", welcome_bonus=0, pending_days=14)
    admin_client.patch("/api/v1/program", {"referral": {"referrer_percent": "1.00", "referrer_bonus": 50}}, format="json")
    alexander = join(pos_client, "+79990000045", "Alexander").json()
    artem = join(pos_client, "+79990000067", "Artem", referral_code=alexander["referral_code"]).json()

    buy(pos_client, artem["id"], "A-1")

    balance = pos_client.get(f"/api/v1/customers/{alexander['id']}").json()["balance"]
    assert balance == {"available": 50, "pending": 10}


def test_calculate_shows_rewards_and_writes_nothing(program, pos_client):
    alexander = join(pos_client, "+79990000045", "Alexander").json()
    artem = join(pos_client, "+79990000067", "Artem", referral_code=alexander["referral_code"]).json()
    before = row_counts()

    body = pos_client.post("/api/v1/receipts/calculate", {"customer": artem["id"], "lines": [
        {"sku": "BIKE", "quantity": "1", "price": "1000.00"}]}, format="json").json()

    assert body["accrued_points"] == 70
    assert [item["beneficiary"] for item in body["applied"] if item["kind"] == "referrer_reward"] == ["Alexander ••45"]
    assert row_counts() == before


def test_schema_shows_the_referral_section_of_the_program(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]

    assert components["Program"]["properties"]["referral"]["$ref"].endswith("/ReferralSettings")
    assert "referrer_bonus_on" in components["ReferralSettings"]["properties"]
    assert "referral" in components["PatchedProgramPatchRequest"]["properties"]

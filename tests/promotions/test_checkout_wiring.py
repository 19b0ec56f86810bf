"""Promotions priced through the one checkout pipeline over the POS API: codes, gifts, offers, limits, returns."""
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from loyalty.models import Receipt
from promotions.models import Gift, Offer, PromoCode, Promotion, PromotionUse
from tests.factories import MerchantFactory, api_key, customer_create

pytestmark = pytest.mark.django_db

MILK = {"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90"}
BREAD = {"sku": "BREAD", "name": "Bread", "category": "bakery", "quantity": "1", "price": "50.00"}


def create(admin_client, **fields):
    body = {"code": "milk-yellow", "name": "Milk -25%", "effects": [{"type": "percent_off", "value": "25"}], **fields}
    response = admin_client.post("/api/v1/promotions", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def calculate(pos_client, **body):
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": [MILK, BREAD], **body}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def commit(pos_client, number, **body):
    return pos_client.post("/api/v1/receipts", {"lines": [MILK, BREAD], "number": number, **body}, format="json")


def test_yellow_price_tag_is_priced_and_counted_at_commit(admin_client, pos_client, merchant):
    create(admin_client, target={"skus": ["MILK-1"]}, block_accrual=True, block_redemption=True)
    customer = customer_create(merchant)

    priced = calculate(pos_client, customer=str(customer.pk))

    assert priced["discount"] == "44.95"
    milk, bread = priced["lines"]
    assert (milk["discount"], milk["accrued_points"], bread["discount"]) == ("44.95", 0, "0.00")
    [entry] = [item for item in priced["applied"] if item["kind"] == "promotion"]
    assert (entry["promotion"], entry["amount"]) == ("milk-yellow", "44.95")
    committed = commit(pos_client, "Y-1", customer=str(customer.pk))
    assert committed.status_code == 201
    promotion = Promotion.objects.get()
    assert (promotion.uses, promotion.spent_amount) == (1, Decimal("44.95"))
    assert admin_client.get("/api/v1/promotions/milk-yellow").json()["uses"] == 1


def test_a_change_reaches_the_next_calculation(admin_client, pos_client):
    create(admin_client)
    assert calculate(pos_client)["discount"] != "0.00"
    admin_client.patch("/api/v1/promotions/milk-yellow", {"active": False}, format="json")
    assert calculate(pos_client)["discount"] == "0.00"


def test_explain_lists_what_did_not_apply_only_when_asked(admin_client, pos_client):
    create(admin_client, audience={"offer_only": True})
    assert "not_applied" not in calculate(pos_client)
    [item] = calculate(pos_client, explain=True)["not_applied"]
    assert (item["promotion"], item["reason"]) == ("milk-yellow", "audience")
    assert set(item) == {"promotion", "name", "reason", "detail"}


def test_codes_are_reported_and_a_rejected_code_refuses_the_commit(admin_client, pos_client, merchant):
    create(admin_client, conditions={"code_required": True})
    admin_client.post("/api/v1/promotions/milk-yellow/codes", {"code": "SPRING30"}, format="json")
    customer = customer_create(merchant)

    priced = calculate(pos_client, customer=str(customer.pk), promo_codes=["spring30", "NOPE"])

    assert [(item["code"], item["status"], item["reason"]) for item in priced["codes"]] == [
        ("spring30", "applied", None), ("NOPE", "rejected", "promo_code_unknown")]
    assert priced["discount"] == "57.45"
    before = Receipt.objects.count()
    refused = commit(pos_client, "C-1", customer=str(customer.pk), promo_codes=["spring30", "NOPE"])
    assert refused.status_code == 422 and refused.json()["code"] == "promo_code_unknown"
    assert Receipt.objects.count() == before and PromotionUse.objects.count() == 0
    assert commit(pos_client, "C-1", customer=str(customer.pk), promo_codes=["SPRING30"]).status_code == 201
    assert PromoCode.objects.get().used_count == 1


def test_a_personal_code_is_used_once_and_only_by_its_customer(admin_client, pos_client, merchant):
    create(admin_client, conditions={"code_required": True})
    customer, other = customer_create(merchant), customer_create(merchant)
    admin_client.post("/api/v1/promotions/milk-yellow/codes", {"customers": [str(customer.pk)]}, format="json")
    code = PromoCode.objects.get().code

    assert calculate(pos_client, customer=str(other.pk), promo_codes=[code])["codes"][0]["reason"] == "promo_code_not_yours"
    assert commit(pos_client, "P-1", customer=str(customer.pk), promo_codes=[code.lower()]).status_code == 201
    again = commit(pos_client, "P-2", customer=str(customer.pk), promo_codes=[code])

    assert again.status_code == 422 and again.json()["code"] == "promo_code_used"
    row = PromoCode.objects.get()
    assert row.used_at is not None and row.receipt_id is not None
    export = admin_client.get("/api/v1/promotions/milk-yellow/codes", {"format": "csv"})
    assert str(row.receipt_id) in b"".join(export.streaming_content).decode()


def test_a_gift_rings_up_free_once(admin_client, pos_client, merchant):
    customer = customer_create(merchant)
    admin_client.post(f"/api/v1/customers/{customer.pk}/gifts", {"name": "Bread on us", "sku": "BREAD", "quantity": "1"}, format="json")
    assert [gift["name"] for gift in pos_client.get(f"/api/v1/customers/{customer.pk}").json()["gifts"]] == ["Bread on us"]

    priced = calculate(pos_client, customer=str(customer.pk))

    assert priced["lines"][1]["total"] == "0.00"
    assert [(item["kind"], item["amount"]) for item in priced["applied"] if item["kind"] == "gift"] == [("gift", "50.00")]
    assert commit(pos_client, "G-1", customer=str(customer.pk)).status_code == 201
    assert Gift.objects.get().status == "used"
    assert calculate(pos_client, customer=str(customer.pk))["lines"][1]["total"] == "50.00"
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["gifts"] == []


def test_an_unlock_grants_an_offer_and_a_full_return_withdraws_it_and_gives_back_the_use(admin_client, pos_client, merchant):
    create(admin_client, code="plants-20", name="Plants -20%", audience={"offer_only": True}, target={"categories": ["plants"]},
           effects=[{"type": "percent_off", "value": "20"}])
    create(admin_client, code="aquarium", name="Aquarium", target={"skus": ["MILK-1"]},
           effects=[{"type": "amount_off", "value": "10"}, {"type": "unlock", "promotion": "plants-20", "days": 14, "uses": 2}])
    customer = customer_create(merchant)

    committed = commit(pos_client, "U-1", customer=str(customer.pk))

    assert committed.status_code == 201
    read = pos_client.get(f"/api/v1/customers/{customer.pk}").json()
    assert [(offer["promotion"], offer["uses_left"]) for offer in read["offers"]] == [("plants-20", 2)]
    assert read["stamps"] == []
    aquarium = Promotion.objects.get(code="aquarium")
    assert (aquarium.uses, aquarium.spent_amount) == (1, Decimal("10.00"))

    refunded = pos_client.post(f"/api/v1/receipts/{committed.json()['id']}/refund", {}, format="json")

    assert refunded.status_code == 200
    aquarium.refresh_from_db()
    assert (aquarium.uses, aquarium.spent_amount) == (0, Decimal("0.00"))
    assert Offer.objects.get().withdrawn_at is not None
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["offers"] == []


def test_a_stamp_card_shows_progress_and_rewards_the_nth_purchase(admin_client, pos_client, merchant):
    create(admin_client, code="third", name="Every 3rd", conditions={"every_nth": {"n": 3}}, effects=[{"type": "percent_off", "value": "50"}])
    customer = customer_create(merchant)
    for number in ("S-1", "S-2"):
        assert commit(pos_client, number, customer=str(customer.pk)).json()["discount"] == "0.00"
    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["stamps"] == [
        {"promotion": "third", "name": "Every 3rd", "n": 3, "count": 2, "remaining": 1}]

    assert commit(pos_client, "S-3", customer=str(customer.pk)).json()["discount"] == "114.90"

    assert pos_client.get(f"/api/v1/customers/{customer.pk}").json()["stamps"][0]["count"] == 0


def test_per_customer_limit_counts_commits(admin_client, pos_client, merchant):
    create(admin_client, limits={"per_customer": 1})
    customer = customer_create(merchant)
    assert commit(pos_client, "L-1", customer=str(customer.pk)).json()["discount"] != "0.00"
    assert commit(pos_client, "L-2", customer=str(customer.pk)).json()["discount"] == "0.00"
    assert Promotion.objects.get().uses == 1


def test_statements_per_calculate_do_not_grow_with_the_number_of_promotions(admin_client, pos_client, merchant):
    customer = customer_create(merchant)
    create(admin_client, code="p-first", limits={"per_customer": 5})

    def statements():
        calculate(pos_client, customer=str(customer.pk))  # warm the cache
        with CaptureQueriesContext(connection) as context:
            calculate(pos_client, customer=str(customer.pk))
        return len(context)

    few = statements()
    for index in range(50):
        create(admin_client, code=f"p{index}", target={"skus": [f"SKU-{index}"]},
               limits={"per_customer": 5, "budget_amount": "1000"}, conditions={"every_nth": {"n": 4}} if index % 5 == 0 else {})
    many = statements()
    assert many <= few + 3, (few, many)


def test_another_merchants_codes_are_unknown_at_the_till(admin_client, pos_client, merchant):
    other = MerchantFactory()
    _key, secret = api_key(other, scope="admin")
    theirs = APIClient()
    theirs.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    create(theirs)
    theirs.post("/api/v1/promotions/milk-yellow/codes", {"code": "THEIRS30"}, format="json")
    priced = calculate(pos_client, promo_codes=["THEIRS30"])
    assert priced["codes"][0]["reason"] == "promo_code_unknown" and priced["discount"] == "0.00"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_commits_use_a_gift_a_code_and_a_budget_once():
    from tests.test_concurrency import run_at_once

    merchant = MerchantFactory()
    _key, admin_secret = api_key(merchant, scope="admin")
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_secret}")
    _key, pos_secret = api_key(merchant)
    customer = customer_create(merchant)
    create(admin, limits={"budget_amount": "60.00"}, target={"skus": ["MILK-1"]})
    create(admin, code="coded", conditions={"code_required": True}, target={"skus": ["BREAD"]},
           effects=[{"type": "amount_off", "value": "5"}])
    admin.post("/api/v1/promotions/coded/codes", {"customers": [str(customer.pk)]}, format="json")
    code = PromoCode.objects.get().code
    admin.post(f"/api/v1/customers/{customer.pk}/gifts", {"name": "Bread", "sku": "BREAD"}, format="json")

    def till(index):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {pos_secret}")
        response = client.post("/api/v1/receipts", {"lines": [MILK, BREAD], "number": f"T-{index}", "customer": str(customer.pk),
                                                    "promo_codes": [code] if index % 2 == 0 else []}, format="json")
        return response.status_code

    results = run_at_once(6, till)

    assert set(results) <= {201, 422}, results
    assert Gift.objects.get().status == "used"
    assert PromoCode.objects.get().used_count == 1
    budget = Promotion.objects.get(code="milk-yellow")
    assert budget.spent_amount <= Decimal("60.00")
    assert PromotionUse.objects.filter(promotion=budget).count() == budget.uses
    assert sum(use.amount for use in PromotionUse.objects.filter(promotion=budget)) == budget.spent_amount

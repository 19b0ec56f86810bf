"""The promotions API: the contract's shapes, bad input, roles, tenancy, codes with CSV, offers and gifts."""
import csv
import io
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import AuditEvent
from loyalty.models import Receipt
from promotions.models import Gift, Offer, PromoCode, Promotion, PromotionUse
from tests.factories import MerchantFactory, api_key, customer_create

pytestmark = pytest.mark.django_db

EXAMPLE = {"code": "milk-yellow", "name": "Milk -25%", "target": {"skus": ["MILK-1"]},
           "effects": [{"type": "percent_off", "value": "25"}], "block_accrual": True, "block_redemption": True}
LINE = {"sku": "MILK-1", "name": "Milk", "quantity": "1", "price": "100.00"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", {"format": "json"})
    return json.loads(response.content)


def assert_documented(schema, path, method, response):
    from tests.test_api_schema import assert_documented as check

    check(schema, path, method, response)


def client_for(merchant, scope="admin"):
    _key, secret = api_key(merchant, scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def create(client, **fields):
    response = client.post("/api/v1/promotions", {**EXAMPLE, **fields}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_promotion_crud_follows_the_contract(admin_client, merchant, schema):
    created = admin_client.post("/api/v1/promotions", EXAMPLE, format="json")
    assert created.status_code == 201
    assert_documented(schema, "/api/v1/promotions", "post", created)
    body = created.json()
    assert body["effects"] == [{"type": "percent_off", "value": "25.00"}]
    assert (body["uses"], body["spent_amount"], body["spent_points"]) == (0, "0.00", 0)
    assert body["target"] == {"skus": ["MILK-1"], "categories": []}

    listed = admin_client.get("/api/v1/promotions")
    assert listed.status_code == 200 and listed.json() == [body]
    assert_documented(schema, "/api/v1/promotions", "get", listed)
    read = admin_client.get("/api/v1/promotions/milk-yellow")
    assert read.json() == body
    assert_documented(schema, "/api/v1/promotions/{code}", "get", read)

    patched = admin_client.patch("/api/v1/promotions/milk-yellow", {"active": False, "weekly": [{"days": [5], "from": "18:00", "to": "20:00"}]},
                                 format="json")
    assert patched.status_code == 200
    assert_documented(schema, "/api/v1/promotions/{code}", "patch", patched)
    assert patched.json()["active"] is False and patched.json()["weekly"] == [{"days": [5], "from": "18:00", "to": "20:00"}]
    assert [p["code"] for p in admin_client.get("/api/v1/promotions", {"state": "ended"}).json()] == ["milk-yellow"]
    assert admin_client.get("/api/v1/promotions", {"state": "live"}).json() == []
    assert admin_client.get("/api/v1/promotions", {"state": "soon"}).status_code == 400

    assert admin_client.delete("/api/v1/promotions/milk-yellow").status_code == 204
    assert admin_client.get("/api/v1/promotions/milk-yellow").status_code == 404
    assert list(AuditEvent.objects.filter(merchant=merchant, action__startswith="promotion.").values_list("action", flat=True).order_by("pk")) == [
        "promotion.created", "promotion.updated", "promotion.deleted"]


def test_promotion_times_are_read_back_in_the_merchant_timezone(admin_client):
    body = create(admin_client, starts_at="2026-12-01T06:00:00Z", ends_at="2026-12-03T19:00:00+00:00")
    assert (body["starts_at"], body["ends_at"]) == ("2026-12-01T09:00:00+03:00", "2026-12-03T22:00:00+03:00")


@pytest.mark.parametrize(("change", "field"), [
    ({"colour": "red"}, "colour"),
    ({"spent_amount": "0.00"}, "spent_amount"),
    ({"effects": [{"type": "bogof"}]}, "effects[0].type"),
    ({"effects": [{"type": "percent_off", "value": "-1"}]}, "effects[0].value"),
    ({"effects": [{"type": "percent_off", "value": "150"}]}, "effects[0].value"),
    ({"starts_at": "2026-12-02T00:00:00+03:00", "ends_at": "2026-12-01T00:00:00+03:00"}, "starts_at"),
    ({"weekly": [{"days": [5], "from": "20:00", "to": "18:00"}]}, "weekly[0].from"),
    ({"audience": {"tiers": ["platinum"]}}, "audience.tiers"),
    ({"audience": {"segments": ["vip"]}}, "audience.segments"),
    ({"audience": {"customers": ["5f0c6f9e-2f7a-4d8e-9d1c-0c8b7a6e5d4c"]}}, "audience.customers"),
    ({"effects": [{"type": "unlock", "promotion": "plants-20", "days": 14, "uses": 2}]}, "effects[0].promotion"),
    ({"limits": {"total_uses": -3}}, "limits.total_uses"),
    ({"priority": 1.5}, "priority"),
])
def test_promotion_bad_input_is_400_naming_the_field_and_writes_nothing(admin_client, merchant, change, field, schema):
    response = admin_client.post("/api/v1/promotions", {**EXAMPLE, **change}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"], response.json()
    assert_documented(schema, "/api/v1/promotions", "post", response)
    assert not Promotion.objects.exists() and not AuditEvent.objects.filter(action__startswith="promotion.").exists()


def test_a_number_with_an_exponent_is_refused_by_name(admin_client):
    raw = '{"code": "x", "name": "X", "effects": [{"type": "percent_off", "value": 1e1}]}'
    response = admin_client.generic("POST", "/api/v1/promotions", raw, content_type="application/json")
    assert response.status_code == 400 and "effects[0].value" in response.json()["fields"]
    assert not Promotion.objects.exists()


def test_promotion_patch_bad_input_changes_nothing(admin_client):
    create(admin_client)
    response = admin_client.patch("/api/v1/promotions/milk-yellow", {"name": "New", "effects": [{"type": "percent_off", "value": "101"}]},
                                  format="json")
    assert response.status_code == 400 and "effects[0].value" in response.json()["fields"]
    assert admin_client.get("/api/v1/promotions/milk-yellow").json()["name"] == "Milk -25%"
    response = admin_client.patch("/api/v1/promotions/milk-yellow", ["active"], format="json")
    assert response.status_code == 400


def test_used_promotion_delete_is_409_promotion_in_use(admin_client, pos_client, merchant, schema):
    create(admin_client)
    customer = customer_create(merchant)
    committed = pos_client.post("/api/v1/receipts", {"customer": str(customer.pk), "number": "A-1", "lines": [LINE]}, format="json")
    assert committed.json()["discount"] == "25.00"
    assert PromotionUse.objects.get().receipt == Receipt.objects.get(pk=committed.json()["id"])

    response = admin_client.delete("/api/v1/promotions/milk-yellow")

    assert response.status_code == 409 and response.json()["code"] == "promotion_in_use"
    assert_documented(schema, "/api/v1/promotions/{code}", "delete", response)
    assert Promotion.objects.exists()
    assert admin_client.patch("/api/v1/promotions/milk-yellow", {"active": False}, format="json").status_code == 200


def test_a_pos_key_gets_403_on_every_promotions_endpoint(pos_client, admin_client, merchant):
    create(admin_client)
    customer = customer_create(merchant)
    before = (Promotion.objects.count(), PromoCode.objects.count(), Offer.objects.count(), Gift.objects.count())
    calls = [
        ("get", "/api/v1/promotions", None), ("post", "/api/v1/promotions", {**EXAMPLE, "code": "x"}),
        ("get", "/api/v1/promotions/milk-yellow", None), ("patch", "/api/v1/promotions/milk-yellow", {"active": False}),
        ("delete", "/api/v1/promotions/milk-yellow", None),
        ("get", "/api/v1/promotions/milk-yellow/codes", None), ("post", "/api/v1/promotions/milk-yellow/codes", {"count": 5}),
        ("get", f"/api/v1/customers/{customer.pk}/offers", None),
        ("post", f"/api/v1/customers/{customer.pk}/offers", {"promotion": "milk-yellow", "days": 7}),
        ("get", f"/api/v1/customers/{customer.pk}/gifts", None),
        ("post", f"/api/v1/customers/{customer.pk}/gifts", {"name": "Bag", "sku": "BAG"}),
    ]
    for method, url, body in calls:
        response = getattr(pos_client, method)(url, body, format="json") if body is not None else getattr(pos_client, method)(url)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "permission_denied"
    assert APIClient().get("/api/v1/promotions").status_code == 401
    assert (Promotion.objects.count(), PromoCode.objects.count(), Offer.objects.count(), Gift.objects.count()) == before


def test_another_merchants_promotions_codes_and_customers_are_404(admin_client, merchant):
    other = MerchantFactory()
    theirs = client_for(other)
    create(theirs)
    theirs.post("/api/v1/promotions/milk-yellow/codes", {"code": "THEIRS30"}, format="json")
    stranger = customer_create(other)
    create(admin_client, code="mine")

    for method in ("get", "patch", "delete"):
        response = getattr(admin_client, method)("/api/v1/promotions/milk-yellow", {} if method == "patch" else None, format="json")
        assert response.status_code == 404 and response.json()["code"] == "promotion_not_found"
    assert admin_client.get("/api/v1/promotions/milk-yellow/codes").status_code == 404
    assert admin_client.post("/api/v1/promotions/milk-yellow/codes", {"count": 1}, format="json").status_code == 404
    assert [p["code"] for p in admin_client.get("/api/v1/promotions").json()] == ["mine"]
    for url, body in ((f"/api/v1/customers/{stranger.pk}/offers", {"promotion": "mine"}),
                      (f"/api/v1/customers/{stranger.pk}/gifts", {"name": "Bag", "sku": "BAG"})):
        assert admin_client.post(url, body, format="json").status_code == 404
        assert admin_client.get(url).status_code == 404
    mine = customer_create(merchant)
    response = admin_client.post(f"/api/v1/customers/{mine.pk}/offers", {"promotion": "milk-yellow", "days": 7}, format="json")
    assert response.status_code == 400 and "promotion" in response.json()["fields"]
    # Their code's text is free in this merchant: codes are unique per merchant only.
    assert admin_client.post("/api/v1/promotions/mine/codes", {"code": "theirs30"}, format="json").status_code == 201
    assert Offer.objects.count() == 0 and Gift.objects.count() == 0


def test_public_code_and_personal_batch_with_csv(admin_client, merchant, schema):
    create(admin_client)
    customers = [customer_create(merchant) for _ in range(2)]

    public = admin_client.post("/api/v1/promotions/milk-yellow/codes", {"code": "SPRING30", "per_customer": 1, "uses": None, "expires_at": None},
                               format="json")
    assert public.status_code == 201 and public.json() == {"created": 1}
    assert_documented(schema, "/api/v1/promotions/{code}/codes", "post", public)
    again = admin_client.post("/api/v1/promotions/milk-yellow/codes", {"code": "spring30"}, format="json")
    assert again.status_code == 400 and "code" in again.json()["fields"]
    bound = admin_client.post("/api/v1/promotions/milk-yellow/codes", {"prefix": "PET-", "customers": [str(c.pk) for c in customers]},
                              format="json")
    assert bound.json() == {"created": 2}
    unbound = admin_client.post("/api/v1/promotions/milk-yellow/codes", {"count": 3}, format="json")
    assert unbound.json() == {"created": 3}

    listed = admin_client.get("/api/v1/promotions/milk-yellow/codes", {"page_size": 4})
    assert listed.status_code == 200
    assert_documented(schema, "/api/v1/promotions/{code}/codes", "get", listed)
    body = listed.json()
    assert body["count"] == 6 and len(body["results"]) == 4 and body["next"]
    assert body["results"][0] == {"code": "SPRING30", "kind": "public", "customer": None, "phone": None, "per_customer": 1, "uses": None,
                                  "used_count": 0, "expires_at": None, "used_at": None, "receipt": None}

    exported = admin_client.get("/api/v1/promotions/milk-yellow/codes", {"format": "csv"})
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))
    assert rows[0] == ["code", "customer", "phone", "used_at", "receipt"]
    assert len(rows) == 7
    by_customer = {row[1]: row for row in rows[1:] if row[1]}
    assert set(by_customer) == {str(c.pk) for c in customers}
    for customer in customers:
        row = by_customer[str(customer.pk)]
        assert row[0].startswith("PET-") and len(row[0]) >= 12 and row[2] == customer.phone and row[3:] == ["", ""]
    assert admin_client.get("/api/v1/promotions/milk-yellow/codes", {"format": "xml"}).status_code == 400


def test_codes_bad_input_is_400_and_writes_nothing(admin_client):
    create(admin_client)
    for body, field in (({"count": -1}, "count"), ({"count": 5, "prefix": "a b"}, "prefix"), ({"code": "X"}, "code"),
                        ({"customers": ["nope"]}, "customers"), ({"count": 1, "colour": "red"}, "colour")):
        response = admin_client.post("/api/v1/promotions/milk-yellow/codes", body, format="json")
        assert response.status_code == 400 and field in response.json()["fields"], body
    assert not PromoCode.objects.exists()


def test_offers_grant_list_and_withdraw(admin_client, merchant, schema):
    create(admin_client, code="plants-20", audience={"offer_only": True})
    customer = customer_create(merchant)

    granted = admin_client.post(f"/api/v1/customers/{customer.pk}/offers", {"promotion": "plants-20", "days": 7, "uses": 1}, format="json")

    assert granted.status_code == 201
    assert_documented(schema, "/api/v1/customers/{customer_id}/offers", "post", granted)
    offer = granted.json()
    assert (offer["promotion"], offer["name"], offer["uses_left"]) == ("plants-20", "Milk -25%", 1)
    assert offer["ends_at"].endswith("+03:00")
    listed = admin_client.get(f"/api/v1/customers/{customer.pk}/offers")
    assert listed.json() == [offer]
    assert_documented(schema, "/api/v1/customers/{customer_id}/offers", "get", listed)
    bad = admin_client.post(f"/api/v1/customers/{customer.pk}/offers", {"promotion": "plants-20", "days": 0}, format="json")
    assert bad.status_code == 400 and "days" in bad.json()["fields"]
    assert admin_client.delete(f"/api/v1/customers/{customer.pk}/offers/{offer['id']}").status_code == 204
    assert admin_client.get(f"/api/v1/customers/{customer.pk}/offers").json() == []
    assert admin_client.delete(f"/api/v1/customers/{customer.pk}/offers/999999").status_code == 404


def test_gifts_grant_list_and_withdraw(admin_client, merchant, schema):
    customer = customer_create(merchant)

    granted = admin_client.post(f"/api/v1/customers/{customer.pk}/gifts",
                                {"name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5", "expires_at": None}, format="json")

    assert granted.status_code == 201
    assert_documented(schema, "/api/v1/customers/{customer_id}/gifts", "post", granted)
    gift = granted.json()
    assert {key: gift[key] for key in ("name", "sku", "quantity", "expires_at", "status")} == {
        "name": "5 packs of Whiskas", "sku": "WHISKAS-85", "quantity": "5", "expires_at": None, "status": "open"}
    assert admin_client.get(f"/api/v1/customers/{customer.pk}/gifts").json() == [gift]
    bad = admin_client.post(f"/api/v1/customers/{customer.pk}/gifts", {"name": "Bag", "sku": "BAG", "quantity": "-1"}, format="json")
    assert bad.status_code == 400 and "quantity" in bad.json()["fields"]
    assert admin_client.delete(f"/api/v1/customers/{customer.pk}/gifts/{gift['id']}").status_code == 204
    assert admin_client.get(f"/api/v1/customers/{customer.pk}/gifts").json() == []
    assert Gift.objects.get().status == "withdrawn"
    assert AuditEvent.objects.filter(merchant=merchant, action="promotion.gift_withdrawn").count() == 1


def test_the_schema_documents_the_promotions_endpoints(schema):
    paths = schema["paths"]
    for path in ("/api/v1/promotions", "/api/v1/promotions/{code}", "/api/v1/promotions/{code}/codes",
                 "/api/v1/customers/{customer_id}/offers", "/api/v1/customers/{customer_id}/gifts"):
        assert path in paths, path
    assert schema["components"]["schemas"]["PromotionInputRequest"]["additionalProperties"] is False
    assert "409" in paths["/api/v1/promotions/{code}"]["delete"]["responses"]
    assert "text/csv" in paths["/api/v1/promotions/{code}/codes"]["get"]["responses"]["200"]["content"]
    window = schema["components"]["schemas"]["WeeklyWindowRequest"]["properties"]
    assert set(window) == {"days", "from", "to"}


def test_field_errors_speak_the_callers_language(admin_client):
    response = admin_client.post("/api/v1/promotions", {**EXAMPLE, "effects": [{"type": "percent_off", "value": "150"}]}, format="json",
                                 HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 400
    assert response.json()["fields"]["effects[0].value"] == ["Укажите процент от 0 до 100."]


def test_explain_is_a_boolean_of_the_draft(pos_client):
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": [LINE], "explain": "yes"}, format="json")
    assert response.status_code == 400 and "explain" in response.json()["fields"]
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": [LINE], "explain": True}, format="json")
    assert response.status_code == 200 and "not_applied" not in response.json() or response.json()["not_applied"] == []

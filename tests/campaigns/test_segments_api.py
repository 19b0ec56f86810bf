"""The segments API: create, read with a live count, change, delete, preview, members and CSV; bad rules by path."""
import pytest

from campaigns.models import Segment
from tests.factories import MerchantFactory, client_for, customer_create

pytestmark = pytest.mark.django_db

SLEEPERS = {"all": [{"field": "days_since_purchase", "op": "gte", "value": 60},
                    {"any": [{"field": "tier", "op": "in", "value": ["gold"]},
                             {"field": "spend", "op": "gte", "value": "20000.00", "days": 365}]}]}


def test_create_read_update_delete(admin_client, merchant):
    customer_create(merchant, name="Ann", gender="f")
    customer_create(merchant, name="Bob", gender="m")
    created = admin_client.post("/api/v1/segments", {"code": "women", "name": "Women",
                                                     "rules": {"all": [{"field": "gender", "op": "eq", "value": "f"}]}}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["count"] == 1
    assert admin_client.get("/api/v1/segments").json()[0]["code"] == "women"
    changed = admin_client.patch("/api/v1/segments/women", {"rules": {"all": [{"field": "gender", "op": "in", "value": ["f", "m"]}]}},
                                 format="json")
    assert changed.status_code == 200 and changed.json()["count"] == 2
    again = admin_client.post("/api/v1/segments", {"code": "women", "name": "Women", "rules": {"all": []}}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "segment_exists"
    assert admin_client.delete("/api/v1/segments/women").status_code == 204
    assert admin_client.get("/api/v1/segments/women").status_code == 404


def test_the_contract_example_is_taken(admin_client):
    response = admin_client.post("/api/v1/segments", {"code": "sleepers", "name": "No purchase for 60 days", "rules": SLEEPERS}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["rules"] == SLEEPERS and response.json()["count"] == 0


@pytest.mark.parametrize(("rules", "path"), [
    ({"all": [{"field": "days_since_purchase", "op": "gte", "value": 60}, {"any": [{"field": "tier", "op": "gt", "value": "gold"}]}]},
     "rules.all[1].any[0].op"),
    ({"all": [{"field": "shoe_size", "op": "eq", "value": 42}]}, "rules.all[0].field"),
    ({"all": [{"field": "age", "op": "gte", "value": "old"}]}, "rules.all[0].value"),
    ({"all": [{"field": "spend", "op": "gte", "value": "1e3"}]}, "rules.all[0].value"),
    ({"all": [{"field": "age", "op": "between", "value": [40, 30]}]}, "rules.all[0].value"),
    ({"all": [{"field": "age", "op": "in", "value": [30, "x"]}]}, "rules.all[0].value[1]"),
    ({"all": [{"field": "gender", "op": "eq", "value": "x"}]}, "rules.all[0].value"),
    ({"all": [{"field": "bought_sku", "op": "gte", "value": "MILK"}]}, "rules.all[0].op"),
    ({"all": [{"field": "age", "op": "eq", "value": 3, "days": 30}]}, "rules.all[0].days"),
    ({"all": [{"field": "purchases", "op": "eq", "value": 3, "days": 0}]}, "rules.all[0].days"),
    ({"all": [{"field": "age", "op": "eq"}]}, "rules.all[0].value"),
    ({"all": "everyone"}, "rules.all"),
    ({"none": []}, "rules"),
    ([], "rules"),
])
def test_bad_rules_are_400_naming_the_path(admin_client, rules, path):
    response = admin_client.post("/api/v1/segments/preview", {"rules": rules}, format="json")
    assert response.status_code == 400
    assert path in response.json()["fields"], response.json()
    saved = admin_client.post("/api/v1/segments", {"code": "bad", "name": "Bad", "rules": rules}, format="json")
    assert saved.status_code == 400 and path in saved.json()["fields"]
    assert not Segment.objects.exists()


def test_preview_counts_without_saving(admin_client, merchant):
    customer_create(merchant, gender="f")
    response = admin_client.post("/api/v1/segments/preview", {"rules": {"all": [{"field": "gender", "op": "eq", "value": "f"}]}}, format="json")
    assert response.status_code == 200 and response.json() == {"count": 1}
    assert not Segment.objects.exists()


def test_members_paginated_and_csv(admin_client, merchant):
    for index in range(3):
        customer_create(merchant, name=f"Member {index}", gender="f")
    customer_create(merchant, name="Not", gender="m")
    admin_client.post("/api/v1/segments", {"code": "women", "name": "Women",
                                           "rules": {"all": [{"field": "gender", "op": "eq", "value": "f"}]}}, format="json")
    page = admin_client.get("/api/v1/segments/women/customers?page_size=2").json()
    assert page["count"] == 3 and len(page["results"]) == 2 and page["next"]
    exported = admin_client.get("/api/v1/segments/women/customers?format=csv")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    lines = b"".join(exported.streaming_content).decode().strip().splitlines()
    assert lines[0].startswith("id,phone,name") and len(lines) == 4
    assert "Not" not in "".join(lines)
    assert admin_client.get("/api/v1/segments/women/customers?format=xml").status_code == 400


def test_another_merchants_segment_is_404_and_pos_key_403(admin_client, pos_client):
    other = MerchantFactory()
    Segment.objects.create(merchant=other, code="theirs", name="Theirs", rules={"all": []})
    for method, url in [("get", "/api/v1/segments/theirs"), ("patch", "/api/v1/segments/theirs"), ("delete", "/api/v1/segments/theirs"),
                        ("get", "/api/v1/segments/theirs/customers")]:
        assert getattr(admin_client, method)(url, {}, format="json").status_code == 404
    assert admin_client.get("/api/v1/segments").json() == []
    for method, url in [("get", "/api/v1/segments"), ("post", "/api/v1/segments"), ("post", "/api/v1/segments/preview"),
                        ("get", "/api/v1/segments/theirs")]:
        assert getattr(pos_client, method)(url, {}, format="json").status_code == 403
    assert client_for(other, scope="admin").get("/api/v1/segments/theirs").status_code == 200

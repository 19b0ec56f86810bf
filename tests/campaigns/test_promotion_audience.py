"""A promotion whose audience names a segment applies to its members only, checked in one query per calculation."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Segment
from promotions.audience import segments_holding
from tests.factories import MerchantFactory, customer_create

pytestmark = pytest.mark.django_db

MILK = {"sku": "MILK-1", "name": "Milk 1L", "category": "dairy", "quantity": "2", "price": "89.90"}
WOMEN = {"all": [{"field": "gender", "op": "eq", "value": "f"}]}


def calculate(pos_client, customer):
    response = pos_client.post("/api/v1/receipts/calculate", {"lines": [MILK], "customer": str(customer.pk)}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def test_segment_audience_prices_members_only(admin_client, pos_client, merchant):
    admin_client.post("/api/v1/segments", {"code": "women", "name": "Women", "rules": WOMEN}, format="json")
    created = admin_client.post("/api/v1/promotions", {"code": "for-women", "name": "-25%", "audience": {"segments": ["women"]},
                                                       "effects": [{"type": "percent_off", "value": "25"}]}, format="json")
    assert created.status_code == 201, created.json()
    ann = customer_create(merchant, gender="f")
    bob = customer_create(merchant, gender="m")
    assert calculate(pos_client, ann)["discount"] == "44.95"
    assert calculate(pos_client, bob)["discount"] == "0.00"
    # Membership is judged at checkout: when bob's profile changes, the next sale sees it.
    type(bob).objects.filter(pk=bob.pk).update(gender="f")
    assert calculate(pos_client, bob)["discount"] == "44.95"


def test_unknown_or_foreign_segment_is_refused(admin_client):
    Segment.objects.create(merchant=MerchantFactory(), code="theirs", name="Theirs", rules=WOMEN)
    response = admin_client.post("/api/v1/promotions", {"code": "x", "name": "X", "audience": {"segments": ["theirs", "nope"]},
                                                        "effects": [{"type": "percent_off", "value": "5"}]}, format="json")
    assert response.status_code == 400
    assert "theirs" in response.json()["fields"]["audience.segments"][0]


def test_membership_of_one_customer_is_one_query(merchant):
    for code in ("a", "b", "c"):
        Segment.objects.create(merchant=merchant, code=code, name=code, rules={"all": [
            {"field": "spend", "op": "gte", "value": "0"}, {"field": "gender", "op": "eq", "value": "f" if code != "b" else "m"}]})
    ann = customer_create(merchant, gender="f")
    from django.utils import timezone

    with CaptureQueriesContext(connection) as queries:
        held = segments_holding(merchant=merchant, customer=ann, codes={"a", "b", "c", "missing"}, now=timezone.now())
    assert held == {"a", "c"}
    # one read of the named segments, one query judging all of them for this customer
    assert len(queries.captured_queries) == 2

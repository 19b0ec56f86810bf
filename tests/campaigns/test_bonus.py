"""Occasion bonuses: every member credited once, set-based, kind `bonus` with the reason; replays credit nothing."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Segment
from loyalty.models import Entry, PointsAccount
from loyalty.selectors import balance_get
from tests.factories import assert_ledger_consistent, customer_create, program_set

pytestmark = pytest.mark.django_db
WOMEN = {"all": [{"field": "gender", "op": "eq", "value": "f"}]}
BODY = {"points": 100, "ttl_days": 7, "reason": "Snowboarder's day"}


@pytest.fixture
def women(merchant):
    program_set(merchant, welcome_bonus=0)
    return Segment.objects.create(merchant=merchant, code="women", name="Women", rules=WOMEN)


def test_every_member_once_with_the_reason_and_replay_is_the_same(admin_client, merchant, women):
    ann, eve = customer_create(merchant, gender="f"), customer_create(merchant, gender="f")
    bob = customer_create(merchant, gender="m")
    first = admin_client.post("/api/v1/segments/women/bonus", BODY, format="json", HTTP_IDEMPOTENCY_KEY="snow-1")
    assert first.status_code == 201, first.json()
    assert first.json() == {"customers": 2, "points": 200}
    again = admin_client.post("/api/v1/segments/women/bonus", BODY, format="json", HTTP_IDEMPOTENCY_KEY="snow-1")
    assert again.status_code == 201 and again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    other = admin_client.post("/api/v1/segments/women/bonus", {**BODY, "points": 5}, format="json", HTTP_IDEMPOTENCY_KEY="snow-1")
    assert other.status_code == 409
    for customer in (ann, eve):
        [entry] = Entry.objects.filter(customer=customer, kind="bonus")
        assert (entry.points, entry.description, entry.text) == (100, "Snowboarder's day", "Snowboarder's day")
        assert (entry.expires_at - entry.at).days == 7
        assert balance_get(merchant=merchant, customer=customer).available == 100
        assert_ledger_consistent(customer)
    assert not Entry.objects.filter(customer=bob, kind="bonus").exists()
    # the customer's history reads it
    history = admin_client.get(f"/api/v1/customers/{ann.pk}/entries").json()["results"]
    assert history[0]["kind"] == "bonus" and history[0]["description"] == "Snowboarder's day"


def test_a_member_in_debt_repays_it_first(admin_client, merchant, women):
    ann = customer_create(merchant, gender="f")
    # What a return leaves when the points it takes back were already spent: a -30 entry and 30 of debt.
    Entry.objects.create(merchant=merchant, customer=ann, kind="refund", points=-30, description="Return")
    PointsAccount.objects.filter(customer=ann).update(debt=30)
    assert_ledger_consistent(ann)
    assert admin_client.post("/api/v1/segments/women/bonus", {"points": 100, "reason": "Spring"}, format="json").status_code == 201
    assert PointsAccount.objects.get(customer=ann).debt == 0
    assert balance_get(merchant=merchant, customer=ann).available == 70
    assert_ledger_consistent(ann)


def test_set_based_whatever_the_size(admin_client, merchant, women):
    for _index in range(30):
        customer_create(merchant, gender="f")
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post("/api/v1/segments/women/bonus", BODY, format="json")
    assert response.json()["customers"] == 30
    assert len(queries.captured_queries) < 25  # no query per member
    assert Entry.objects.filter(kind="bonus").count() == 30


@pytest.mark.parametrize(("body", "field"), [
    ({"points": 0, "reason": "x"}, "points"), ({"points": "ten", "reason": "x"}, "points"), ({"points": 1.5, "reason": "x"}, "points"),
    ({"points": 10}, "reason"), ({"points": 10, "reason": "  "}, "reason"), ({"points": 10, "reason": "x", "ttl_days": 0}, "ttl_days"),
    ({"points": 10, "reason": "x", "extra": 1}, "extra"),
])
def test_bad_bonus_is_400_and_writes_nothing(admin_client, merchant, women, body, field):
    customer_create(merchant, gender="f")
    response = admin_client.post("/api/v1/segments/women/bonus", body, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]
    assert not Entry.objects.filter(kind="bonus").exists()


def test_another_merchants_segment_and_pos_key(admin_client, pos_client, merchant, women):
    from tests.factories import MerchantFactory

    Segment.objects.create(merchant=MerchantFactory(), code="theirs", name="Theirs", rules=WOMEN)
    assert admin_client.post("/api/v1/segments/theirs/bonus", BODY, format="json").status_code == 404
    assert pos_client.post("/api/v1/segments/women/bonus", BODY, format="json").status_code == 403

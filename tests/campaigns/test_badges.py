"""Badges: earned for a first purchase, N purchases, N referrals, the survey; points once; in the customer read."""
import pytest
from django.core.management import call_command

from accounts.models import Customer
from campaigns.models import CustomerBadge
from loyalty.models import Entry
from tests.factories import assert_ledger_consistent, customer_create, program_set

pytestmark = pytest.mark.django_db
MILK = {"sku": "MILK-1", "name": "Milk", "quantity": "1", "price": "100.00"}


def buy(pos_client, customer, number):
    response = pos_client.post("/api/v1/receipts", {"lines": [MILK], "number": number, "customer": str(customer.pk)}, format="json")
    assert response.status_code == 201, response.json()


def test_purchase_badges_at_checkout_with_points_once(admin_client, pos_client, merchant):
    program_set(merchant, welcome_bonus=0, accrual_percent=0)
    for body in ({"code": "first", "name": "First purchase", "rule": "first_purchase", "points": 50},
                 {"code": "regular", "name": "Regular", "rule": "purchases", "n": 3}):
        assert admin_client.post("/api/v1/badges", body, format="json").status_code == 201
    ann = customer_create(merchant)
    buy(pos_client, ann, "1")
    read = admin_client.get(f"/api/v1/customers/{ann.pk}").json()
    assert [badge["code"] for badge in read["badges"]] == ["first"]
    buy(pos_client, ann, "2")
    buy(pos_client, ann, "3")
    read = pos_client.get(f"/api/v1/customers/{ann.pk}").json()
    assert [badge["code"] for badge in read["badges"]] == ["first", "regular"]
    assert list(Entry.objects.filter(customer=ann, kind="bonus").values_list("points", flat=True)) == [50]
    assert_ledger_consistent(ann)
    assert admin_client.get("/api/v1/badges").json()[1] == {"code": "regular", "name": "Regular", "rule": "purchases", "n": 3,
                                                            "points": 0, "active": True}


def test_referrals_badge_by_the_job(admin_client, merchant):
    program_set(merchant, welcome_bonus=0)
    admin_client.post("/api/v1/badges", {"code": "friends", "name": "Brought friends", "rule": "referrals", "n": 2, "points": 10},
                      format="json")
    ann = customer_create(merchant)
    customer_create(merchant, referral_code=ann.referral_code)
    call_command("award_badges")
    assert not CustomerBadge.objects.exists()
    customer_create(merchant, referral_code=ann.referral_code)
    call_command("award_badges")
    call_command("award_badges")
    assert list(CustomerBadge.objects.values_list("customer_id", flat=True)) == [ann.pk]
    assert Entry.objects.filter(customer=ann, kind="bonus").count() == 1
    # The badge counts the friends the referrals app counts: what the customer read shows.
    assert admin_client.get(f"/api/v1/customers/{ann.pk}").json()["referrals"]["count"] == 2


def test_referrals_badge_counts_only_friends_brought(admin_client, merchant):
    """Friends who joined with another customer's code, or with none, do not count; a referral of this
    merchant's customer is only ever a customer of the same merchant."""
    program_set(merchant, welcome_bonus=0)
    admin_client.post("/api/v1/badges", {"code": "friends", "name": "Brought friends", "rule": "referrals", "n": 2},
                      format="json")
    ann, bob = customer_create(merchant), customer_create(merchant)
    customer_create(merchant, referral_code=ann.referral_code)
    customer_create(merchant, referral_code=bob.referral_code)
    customer_create(merchant)
    call_command("award_badges")
    assert not CustomerBadge.objects.exists()
    customer_create(merchant, referral_code=bob.referral_code)
    call_command("award_badges")
    assert list(CustomerBadge.objects.values_list("customer_id", flat=True)) == [bob.pk]
    read = admin_client.get(f"/api/v1/customers/{bob.pk}").json()
    assert read["referrals"]["count"] == 2 and [badge["code"] for badge in read["badges"]] == ["friends"]


@pytest.mark.parametrize(("body", "field"), [
    ({"code": "x", "name": "X", "rule": "dancing"}, "rule"), ({"code": "x", "name": "X", "rule": "purchases"}, "n"),
    ({"code": "x", "name": "X", "rule": "survey", "points": -1}, "points"), ({"code": "x y", "name": "X", "rule": "survey"}, "code"),
])
def test_bad_badge_is_400(admin_client, body, field):
    response = admin_client.post("/api/v1/badges", body, format="json")
    assert response.status_code == 400 and field in response.json()["fields"]


def test_pos_key_cannot_touch_badges(pos_client):
    assert pos_client.get("/api/v1/badges").status_code == 403
    assert pos_client.post("/api/v1/badges", {}, format="json").status_code == 403
    assert Customer.objects.count() == 0


def test_a_rule_that_is_not_text_is_400(admin_client):
    response = admin_client.post("/api/v1/badges", {"code": "regular", "name": "Regular", "rule": {}, "n": 10}, format="json")
    assert response.status_code == 400 and "rule" in response.json()["fields"]

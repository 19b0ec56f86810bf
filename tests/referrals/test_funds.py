"""Charity over the API: funds (admin), donations (pos, idempotent), the per-fund report."""
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from loyalty.models import Entry
from referrals.models import Donation
from tests.factories import MerchantFactory, assert_ledger_consistent, client_for, customer_create, program_set, row_counts

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelter(admin_client):
    response = admin_client.post("/api/v1/funds", {"code": "shelter", "name": "City animal shelter"}, format="json")
    assert response.status_code == 201
    return response.json()


def test_fund_create_list_patch(admin_client, shelter):
    assert shelter == {"code": "shelter", "name": "City animal shelter", "description": "", "active": True}
    assert admin_client.post("/api/v1/funds", {"code": "shelter", "name": "Again"}, format="json").json()["code"] == "fund_exists"
    response = admin_client.patch("/api/v1/funds/shelter", {"active": False, "description": "Cats and dogs"}, format="json")
    assert response.status_code == 200
    assert response.json()["active"] is False
    assert admin_client.get("/api/v1/funds").json() == [{**shelter, "active": False, "description": "Cats and dogs"}]


@pytest.mark.parametrize("body, field", [
    ({"name": "No code"}, "code"),
    ({"code": "a b", "name": "Space"}, "code"),
    ({"code": "ok", "name": ""}, "name"),
    ({"code": "ok", "name": "X", "active": "yes"}, "active"),
    ({"code": "ok", "name": "X", "colour": "red"}, "colour"),
])
def test_fund_create_bad_input_names_the_field(admin_client, body, field):
    response = admin_client.post("/api/v1/funds", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_funds_need_an_admin_key(pos_client, admin_client, shelter):
    assert pos_client.get("/api/v1/funds").status_code == 403
    assert pos_client.post("/api/v1/funds", {"code": "x", "name": "X"}, format="json").status_code == 403
    assert pos_client.patch("/api/v1/funds/shelter", {"active": False}, format="json").status_code == 403
    assert pos_client.get("/api/v1/funds/shelter/report").status_code == 403


def test_donation_spends_soonest_expiring_first_and_names_the_fund(merchant, pos_client, shelter):
    customer = customer_create(merchant)  # 300 welcome points, expiring in 14 days
    response = pos_client.post(f"/api/v1/customers/{customer.pk}/donations", {"fund": "shelter", "points": 100}, format="json",
                               HTTP_IDEMPOTENCY_KEY="give-1")
    assert response.status_code == 201
    body = response.json()
    assert body["fund"] == "shelter" and body["points"] == 100
    assert body["balance"] == {"available": 200, "pending": 0}
    entry = Entry.objects.get(customer=customer, kind="donation")
    assert entry.points == -100
    assert entry.description == "Donated to City animal shelter"
    assert_ledger_consistent(customer)
    history = pos_client.get(f"/api/v1/customers/{customer.pk}/entries").json()["results"]
    assert history[0]["kind"] == "donation" and history[0]["description"] == "Donated to City animal shelter"


def test_donation_same_key_twice_is_one_donation(merchant, pos_client, shelter):
    customer = customer_create(merchant)
    url = f"/api/v1/customers/{customer.pk}/donations"
    first = pos_client.post(url, {"fund": "shelter", "points": 50}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    again = pos_client.post(url, {"fund": "shelter", "points": 50}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Donation.objects.count() == 1
    assert Entry.objects.filter(customer=customer, kind="donation").count() == 1
    other = pos_client.post(url, {"fund": "shelter", "points": 60}, format="json", HTTP_IDEMPOTENCY_KEY="same")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"


def test_donation_over_the_balance_is_refused_and_writes_nothing(merchant, pos_client, shelter):
    customer = customer_create(merchant)
    before = row_counts()
    response = pos_client.post(f"/api/v1/customers/{customer.pk}/donations", {"fund": "shelter", "points": 301}, format="json",
                               HTTP_IDEMPOTENCY_KEY="too-much")
    assert response.status_code == 422 and response.json()["code"] == "insufficient_points"
    assert row_counts() == before and Donation.objects.count() == 0


def test_donation_to_an_inactive_fund_is_refused(merchant, pos_client, admin_client, shelter):
    admin_client.patch("/api/v1/funds/shelter", {"active": False}, format="json")
    customer = customer_create(merchant)
    before = row_counts()
    response = pos_client.post(f"/api/v1/customers/{customer.pk}/donations", {"fund": "shelter", "points": 10}, format="json")
    assert response.status_code == 422 and response.json()["code"] == "fund_inactive"
    assert row_counts() == before


@pytest.mark.parametrize("body, field", [
    ({"fund": "nowhere", "points": 10}, "fund"),
    ({"fund": "shelter", "points": 0}, "points"),
    ({"fund": "shelter", "points": "1.5"}, "points"),
    ({"fund": "shelter"}, "points"),
    ({"points": 10}, "fund"),
])
def test_donation_bad_input_names_the_field(merchant, pos_client, shelter, body, field):
    customer = customer_create(merchant)
    response = pos_client.post(f"/api/v1/customers/{customer.pk}/donations", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_fund_report_sums_points_amount_donors_and_donations_within_the_dates(merchant, pos_client, admin_client, shelter):
    program_set(merchant, point_value="0.50")
    first, second = customer_create(merchant), customer_create(merchant)
    for customer, points in ((first, 100), (first, 20), (second, 30)):
        assert pos_client.post(f"/api/v1/customers/{customer.pk}/donations", {"fund": "shelter", "points": points},
                               format="json").status_code == 201
    Donation.objects.filter(points=20).update(at=timezone.now() - timedelta(days=40))
    today = timezone.localdate(timezone=timezone.get_fixed_timezone(180))
    report = admin_client.get("/api/v1/funds/shelter/report").json()
    assert report == {"code": "shelter", "name": "City animal shelter", "points": 150, "amount": "75.00", "donors": 2, "donations": 3}
    recent = admin_client.get("/api/v1/funds/shelter/report", {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat()}).json()
    assert (recent["points"], recent["amount"], recent["donors"], recent["donations"]) == (130, "65.00", 2, 2)
    assert Donation.objects.aggregate(s=Sum("points"))["s"] == 150
    assert admin_client.get("/api/v1/funds/shelter/report", {"from": "soon"}).status_code == 400


def test_another_merchants_fund_and_customer_are_404(merchant, pos_client, admin_client, shelter):
    other = MerchantFactory()
    other_admin = client_for(other, scope="admin")
    assert other_admin.get("/api/v1/funds/shelter").status_code == 404
    assert other_admin.patch("/api/v1/funds/shelter", {"active": False}, format="json").status_code == 404
    assert other_admin.get("/api/v1/funds/shelter/report").status_code == 404
    assert other_admin.get("/api/v1/funds").json() == []
    stranger = customer_create(other)
    assert pos_client.post(f"/api/v1/customers/{stranger.pk}/donations", {"fund": "shelter", "points": 1}, format="json").status_code == 404
    # The other merchant's own customer cannot give to this merchant's fund either.
    other_pos = client_for(other)
    response = other_pos.post(f"/api/v1/customers/{stranger.pk}/donations", {"fund": "shelter", "points": 1}, format="json")
    assert response.status_code == 400 and "fund" in response.json()["fields"]

"""The portal's club section: the NPS question after a purchase (once per receipt, once per 30 days), badges, leaderboard."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Badge, LeaderboardOptIn, SurveyResponse
from campaigns.services.surveys import survey_pending
from tests.factories import client_for, customer_create

pytestmark = pytest.mark.django_db
MILK = {"sku": "MILK-1", "name": "Milk", "quantity": "1", "price": "100.00"}


def portal_for(customer) -> Client:
    client = Client()
    session = client.session
    session["portal"] = {customer.merchant.slug: str(customer.pk)}
    session.save()
    return client


def buy(merchant, customer, number):
    response = client_for(merchant).post("/api/v1/receipts", {"lines": [MILK], "number": number, "customer": str(customer.pk)},
                                         format="json")
    assert response.status_code == 201
    return response.json()["id"]


def test_nps_question_after_a_purchase_once(merchant, admin_client):
    Badge.objects.create(merchant=merchant, code="voice", name="Your voice", rule="survey", points=0)
    ann = customer_create(merchant, name="Ann Smith")
    portal = portal_for(ann)
    home = portal.get(f"/my/{merchant.slug}/").content.decode()
    assert "portal-survey" not in home  # nothing bought yet
    receipt = buy(merchant, ann, "1")
    assert "portal-survey" in portal.get(f"/my/{merchant.slug}/").content.decode()
    bad = portal.post(f"/my/{merchant.slug}/club/survey/", {"receipt": receipt, "score": "11"})
    assert bad.status_code == 302 and not SurveyResponse.objects.exists()
    portal.post(f"/my/{merchant.slug}/club/survey/", {"receipt": receipt, "score": "9", "comment": "Lovely shop"})
    portal.post(f"/my/{merchant.slug}/club/survey/", {"receipt": receipt, "score": "0"})
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [9]
    # another purchase within 30 days: not asked again
    buy(merchant, ann, "2")
    home = portal.get(f"/my/{merchant.slug}/").content.decode()
    assert "portal-survey" not in home and "Your voice" in home
    assert survey_pending(merchant=merchant, customer=ann, now=timezone.now() + timedelta(days=31)) is None  # receipts too old by then
    report = admin_client.get("/api/v1/reports/nps").json()
    assert report == {"responses": 1, "promoters": 1, "passives": 0, "detractors": 0, "nps": 100}
    assert admin_client.get("/api/v1/reports/nps?from=2026-13-01").status_code == 400


def test_nps_formula(merchant, admin_client):
    customers = [customer_create(merchant) for _index in range(5)]
    for customer, score in zip(customers, [10, 9, 7, 6, 0]):
        SurveyResponse.objects.create(merchant=merchant, customer=customer, score=score)
    assert admin_client.get("/api/v1/reports/nps").json() == {"responses": 5, "promoters": 2, "passives": 1, "detractors": 2, "nps": 0}


def test_leaderboard_opt_in_shows_first_name_and_initial(merchant):
    ann = customer_create(merchant, name="Ann Smith")
    bob = customer_create(merchant, name="Bob Jones")
    buy(merchant, ann, "1")
    buy(merchant, bob, "2")
    portal = portal_for(ann)
    home = portal.get(f"/my/{merchant.slug}/").content.decode()
    assert "leaderboard-join" in home and "Ann S." not in home
    portal.post(f"/my/{merchant.slug}/club/leaderboard/", {"join": "1"})
    board = portal.get(f"/my/{merchant.slug}/").content.decode().split('data-testid="portal-leaderboard"')[1]
    assert "Ann S." in board and "Smith" not in board and "Bob" not in board
    portal.post(f"/my/{merchant.slug}/club/leaderboard/", {"join": "0"})
    assert not LeaderboardOptIn.objects.exists()

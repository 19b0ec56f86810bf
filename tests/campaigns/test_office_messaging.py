"""The marketer's messaging screens, the cashier's product-request part and the portal inbox."""
import re

import pytest
from django.test import Client
from django.utils import translation

from campaigns import channels
from campaigns.models import Campaign, Delivery, ProductRequest, Trigger
from loyalty.models import CustomerMessage
from tests.factories import MerchantFactory, customer_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _daytime(monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    monkeypatch.setattr(channels, "is_quiet", lambda *, merchant, now: False)


def client_for(membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


FORM = {"name": "Spring", "code": "spring", "segment": "", "channels": ["push"], "subject": "Hi {name}", "text": "Hello {name}",
        "offer_points": "100", "offer_ttl_days": "7", "control_percent": "0", "send_at": ""}


def test_marketer_creates_previews_sends_and_reads_the_report(marketer, merchant):
    anna = customer_create(merchant, name="Anna")
    client = client_for(marketer)
    assert client.get("/office/messaging/campaigns/").status_code == 200
    response = client.post("/office/messaging/campaigns/new/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get("/office/messaging/campaigns/spring/")
    assert "Send now" in page.content.decode()
    preview = client.post("/office/messaging/campaigns/spring/preview/", {"customer": anna.phone})
    assert "Hello Anna" in preview.content.decode()
    client.post("/office/messaging/campaigns/spring/send/")
    assert Campaign.objects.get(code="spring").status == "sent"
    assert CustomerMessage.objects.filter(customer=anna, body="Hello Anna").count() == 1
    page = client.get("/office/messaging/campaigns/spring/").content.decode()
    assert 'data-testid="delivery-log"' in page and "100.00%" in page
    report = client.get("/office/messaging/campaigns/spring/report/").content.decode()
    assert 'data-testid="uplift-chart"' in report and "control" in report.lower()
    with translation.override("ru"):
        client.cookies["django_language"] = "ru"
        assert client.get("/office/messaging/campaigns/spring/report/").status_code == 200


def test_campaign_form_shows_the_services_errors(marketer):
    response = client_for(marketer).post("/office/messaging/campaigns/new/", {**FORM, "segment": "nope"})
    assert response.status_code == 200 and "Unknown segment" in response.content.decode()
    assert not Campaign.objects.exists()


def test_triggers_cards_and_editor(marketer):
    client = client_for(marketer)
    page = client.get("/office/messaging/triggers/").content.decode()
    assert 'data-testid="trigger-card-birthday"' in page
    response = client.post("/office/messaging/triggers/new/", {"name": "Birthday", "code": "bday", "event": "birthday", "days_before": "3",
                                                              "channels": ["push"], "text": "Happy birthday", "active": "on"})
    assert response.status_code == 302
    assert Trigger.objects.get(code="bday").params["days_before"] == 3
    client.post("/office/messaging/triggers/bday/toggle/")
    assert not Trigger.objects.get(code="bday").active


def test_birthday_trigger_for_family_birthdays_from_the_editor(marketer):
    client = client_for(marketer)
    response = client.post("/office/messaging/triggers/new/", {"name": "Birthday", "code": "bday", "event": "birthday", "days_before": "3",
                                                              "family": "on", "channels": ["push"], "text": "Happy birthday", "active": "on"})
    assert response.status_code == 302
    assert Trigger.objects.get(code="bday").params == {"days_before": 3, "family": True}
    page = client.get("/office/messaging/triggers/bday/").content.decode()
    box = re.search(r'<input[^>]*name="family"[^>]*>', page)
    assert box is not None and "checked" in box.group(0)
    response = client.post("/office/messaging/triggers/bday/", {"name": "Birthday", "event": "birthday", "days_before": "3",
                                                               "channels": ["push"], "text": "Happy birthday", "active": "on"})
    assert response.status_code == 302
    assert Trigger.objects.get(code="bday").params == {"days_before": 3, "family": False}


def test_cashier_records_a_request_and_marketer_notifies_all(cashier, marketer, merchant):
    customer = customer_create(merchant)
    counter = client_for(cashier)
    assert counter.get("/office/messaging/campaigns/").status_code == 403
    assert counter.post(f"/office/messaging/counter/customers/{customer.pk}/product-request/", {"sku": "AQUA-60"}).status_code == 302
    assert ProductRequest.objects.get().source == "counter"
    other = customer_create(MerchantFactory())
    assert counter.post(f"/office/messaging/counter/customers/{other.pk}/product-request/", {"sku": "X"}).status_code == 404
    client = client_for(marketer)
    assert "AQUA-60" in client.get("/office/messaging/product-requests/").content.decode()
    client.post("/office/messaging/product-requests/notify/", {"sku": "AQUA-60", "text": "It is here"})
    assert CustomerMessage.objects.filter(customer=customer, body="It is here").count() == 1
    assert Delivery.objects.filter(customer=customer, status="sent").count() == 1


def test_other_merchants_campaign_is_404(marketer):
    other = MerchantFactory()
    Campaign.objects.create(merchant=other, code="theirs", name="Theirs", text="x", channels=["push"])
    assert client_for(marketer).get("/office/messaging/campaigns/theirs/").status_code == 404

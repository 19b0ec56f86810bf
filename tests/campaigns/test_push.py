"""Web Push: a customer allows notifications in the portal; a campaign's push then reaches that browser too."""
import json

import pytest
from django.test import Client
from django.utils import timezone

from campaigns import channels, mailing
from campaigns.models import PushSubscription
from loyalty.models import CustomerMessage
from tests.factories import customer_create

pytestmark = pytest.mark.django_db

SUBSCRIPTION = {"endpoint": "https://push.example.test/abc", "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQ", "auth": "tBHItJI5svbpez7KI4CCXg"}}


def portal_for(customer) -> Client:
    client = Client(enforce_csrf_checks=False)
    session = client.session
    session["portal"] = {customer.merchant.slug: str(customer.pk)}
    session.save()
    return client


def test_portal_saves_a_browser_subscription_once(merchant, settings):
    settings.VAPID_PUBLIC_KEY = "BPublicKeyForTests"
    customer = customer_create(merchant)
    client = portal_for(customer)
    home = client.get(f"/my/{merchant.slug}/").content.decode()
    assert 'data-testid="push-allow"' in home and "campaigns/push.js" in home
    url = f"/my/{merchant.slug}/m/push/subscribe/"
    for _ in range(2):
        assert client.post(url, json.dumps(SUBSCRIPTION), content_type="application/json").status_code == 201
    assert PushSubscription.objects.filter(customer=customer).count() == 1
    assert client.post(url, json.dumps({"endpoint": "http://plain"}), content_type="application/json").status_code == 400
    assert Client().post(url, json.dumps(SUBSCRIPTION), content_type="application/json").status_code == 302  # not signed in
    worker = client.get(f"/my/{merchant.slug}/m/sw.js")
    assert worker["Content-Type"] == "application/javascript" and b"showNotification" in worker.content


def test_campaign_push_goes_to_inbox_and_to_the_allowed_browser(merchant, settings, monkeypatch):
    import pywebpush

    settings.VAPID_PUBLIC_KEY, settings.VAPID_PRIVATE_KEY = "public", "private"
    monkeypatch.setattr(channels, "is_quiet", lambda *, merchant, now: False)
    sent = []
    monkeypatch.setattr(pywebpush, "webpush", lambda **kwargs: sent.append(kwargs))
    customer = customer_create(merchant, name="Anna")
    PushSubscription.objects.create(merchant=merchant, customer=customer, endpoint=SUBSCRIPTION["endpoint"],
                                    p256dh=SUBSCRIPTION["keys"]["p256dh"], auth=SUBSCRIPTION["keys"]["auth"])
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "p", "name": "P", "channels": ["push"], "subject": "Hi",
                                                                "text": "Hello {name}"})
    mailing.campaign_run(campaign=campaign, now=timezone.now())
    assert CustomerMessage.objects.filter(customer=customer, body="Hello Anna").count() == 1
    assert len(sent) == 1
    assert sent[0]["subscription_info"]["endpoint"] == SUBSCRIPTION["endpoint"]
    assert json.loads(sent[0]["data"]) == {"title": "Hi", "body": "Hello Anna"}
    assert sent[0]["vapid_private_key"] == "private"


def test_portal_inbox_shows_the_unread_count(merchant):
    customer = customer_create(merchant)
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "u", "name": "U", "channels": ["push"], "subject": "News",
                                                                "text": "Hello"})
    import campaigns.channels as ch

    original = ch.is_quiet
    ch.is_quiet = lambda *, merchant, now: False
    try:
        mailing.campaign_run(campaign=campaign, now=timezone.now())
    finally:
        ch.is_quiet = original
    page = portal_for(customer).get(f"/my/{merchant.slug}/").content.decode()
    assert 'data-testid="inbox-unread"' in page and "1 unread" in page and "Hello" in page

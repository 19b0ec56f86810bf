"""Web Push: a customer allows notifications in the portal; a campaign's push then reaches that browser too."""
import base64
import json
import os
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import Client

from campaigns import mailing
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


class PushService:
    """A browser vendor's push service on loopback: records each POST and answers with `status`."""

    def __init__(self, status: int = 201):
        received = self.received = []
        answer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append({"path": self.path, "headers": {name.lower(): value for name, value in self.headers.items()}, "body": body})
                self.send_response(answer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.status = status
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def vapid(settings):
    """Real VAPID keys, as an operator would generate them."""
    key = ec.generate_private_key(ec.SECP256R1())
    settings.VAPID_PRIVATE_KEY = b64(key.private_numbers().private_value.to_bytes(32, "big"))
    settings.VAPID_PUBLIC_KEY = b64(key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    return key


def browser_keys():
    """What a browser hands over when the customer allows notifications: its ECDH public key and an auth secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return key, os.urandom(16), b64(public)


# Noon in the merchant's timezone: outside quiet hours, so push goes at once.
def noon(merchant):
    return datetime.now(ZoneInfo(merchant.timezone)).replace(hour=12, minute=0, second=0, microsecond=0)


def test_campaign_push_goes_to_inbox_and_to_the_allowed_browser(merchant, vapid, push_service):
    customer = customer_create(merchant, name="Anna")
    browser_key, auth, p256dh = browser_keys()
    PushSubscription.objects.create(merchant=merchant, customer=customer, endpoint=f"{push_service.url}/send/abc", p256dh=p256dh,
                                    auth=b64(auth))
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "p", "name": "P", "channels": ["push"], "subject": "Hi",
                                                                "text": "Hello {name}"})
    mailing.campaign_run(campaign=campaign, now=noon(merchant))
    assert CustomerMessage.objects.filter(customer=customer, body="Hello Anna").count() == 1

    # The push service got one signed, encrypted message that only this browser can read.
    assert len(push_service.received) == 1
    request = push_service.received[0]
    assert request["path"] == "/send/abc"
    assert request["headers"]["content-encoding"] == "aes128gcm"
    assert request["headers"]["authorization"].startswith("vapid t=")
    assert f"k={settings.VAPID_PUBLIC_KEY}" in request["headers"]["authorization"]
    assert b"Hello Anna" not in request["body"]
    clear = http_ece.decrypt(request["body"], private_key=browser_key, auth_secret=auth, version="aes128gcm")
    assert json.loads(clear) == {"title": "Hi", "body": "Hello Anna"}


def test_a_browser_that_unsubscribed_is_forgotten(merchant, vapid):
    gone = PushService(status=410)
    try:
        customer = customer_create(merchant, name="Anna")
        _key, auth, p256dh = browser_keys()
        PushSubscription.objects.create(merchant=merchant, customer=customer, endpoint=f"{gone.url}/send/old", p256dh=p256dh,
                                        auth=b64(auth))
        campaign = mailing.campaign_create(merchant=merchant, data={"code": "g", "name": "G", "channels": ["push"], "subject": "Hi",
                                                                    "text": "Hello"})
        mailing.campaign_run(campaign=campaign, now=noon(merchant))
        assert len(gone.received) == 1
        assert not PushSubscription.objects.filter(customer=customer).exists()
        assert CustomerMessage.objects.filter(customer=customer).count() == 1  # the inbox still has it
    finally:
        gone.close()


def test_portal_inbox_shows_the_unread_count(merchant):
    customer = customer_create(merchant)
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "u", "name": "U", "channels": ["push"], "subject": "News",
                                                                "text": "Hello"})
    mailing.campaign_run(campaign=campaign, now=noon(merchant))
    page = portal_for(customer).get(f"/my/{merchant.slug}/").content.decode()
    assert 'data-testid="inbox-unread"' in page and "1 unread" in page and "Hello" in page

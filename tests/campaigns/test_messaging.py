"""Campaigns, channels, triggers and product requests: what a marketer and a customer notice."""
import json
import threading
from datetime import datetime, timedelta, timezone as dt_timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts import sms
from accounts.services import customer_update
from campaigns import channels, mailing, triggering
from campaigns.models import Campaign, Delivery, ProductRequest, Trigger
from loyalty.models import CustomerMessage, Entry
from loyalty.services.receipts import receipt_commit
from tests.factories import MerchantFactory, client_for, customer_create, draft, program_set

pytestmark = pytest.mark.django_db

DAY = datetime(2027, 3, 10, 9, 0, tzinfo=dt_timezone.utc)  # 12:00 in Moscow: not quiet


def noon():
    """Today 12:00 in Moscow (tests that send 'now' must not fall into quiet hours)."""
    return DAY


@pytest.fixture(autouse=True)
def _daytime(monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)  # the send job runs in the request, as the worker would run it
    monkeypatch.setattr(channels, "is_quiet", lambda *, merchant, now: False)


def campaign_post(client, **fields):
    body = {"code": "spring", "name": "Spring sale", "channels": ["email", "push"], "subject": "Spring at {name}",
            "text": "Hello {name}, you have {balance} points.", **fields}
    return client.post("/api/v1/campaigns", body, format="json")


def test_campaign_goes_to_consenting_members_once_each_with_unsubscribe(admin_client, merchant):
    emailed = customer_create(merchant, name="Anna", email="anna@example.com", consent_email=True)
    pushed = customer_create(merchant, name="Boris")
    nothing = customer_update(customer=customer_create(merchant, name="Vera"), consent_push=False)
    response = campaign_post(admin_client, offer={"points": 200, "ttl_days": 7})
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "draft"
    assert admin_client.post("/api/v1/campaigns/spring/send").status_code == 202
    assert admin_client.post("/api/v1/campaigns/spring/send").status_code == 202  # twice is once
    body = admin_client.get("/api/v1/campaigns/spring").json()
    assert body["status"] == "sent"
    assert body["recipients"] == 3 and body["sent"] == {"email": 1, "sms": 0, "push": 1} and body["skipped"] == 1
    assert body["progress"] == "100.00"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["anna@example.com"]
    assert message.subject == "Spring at Anna"
    assert "Hello Anna, you have 500 points." in message.body  # 300 welcome + 200 offered
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    assert CustomerMessage.objects.filter(customer=pushed).count() == 1
    assert not CustomerMessage.objects.filter(customer=nothing).exists()
    bonus = Entry.objects.filter(kind="bonus")
    assert sorted(bonus.values_list("customer_id", flat=True)) == sorted([emailed.pk, pushed.pk])
    assert all(entry.points == 200 for entry in bonus)
    mailing.campaigns_due(now=timezone.now())  # the job again: nothing more
    assert len(mail.outbox) == 1 and Entry.objects.filter(kind="bonus").count() == 2


def test_unsubscribe_link_works_once_for_its_customer_and_cannot_be_forged(merchant):
    anna = customer_create(merchant, email="anna@example.com", consent_email=True)
    boris = customer_create(merchant, email="boris@example.com", consent_email=True)
    token = channels.unsubscribe_token(customer=anna)
    client = Client()
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert client.post(f"/my/{merchant.slug}/m/unsubscribe/{forged}/").status_code == 404
    other = MerchantFactory()
    assert client.post(f"/my/{other.slug}/m/unsubscribe/{token}/").status_code == 404
    page = client.get(f"/my/{merchant.slug}/m/unsubscribe/{token}/")
    assert page.status_code == 200
    anna.refresh_from_db()
    assert anna.consent_email  # a GET (a mail scanner) changes nothing
    assert client.post(f"/my/{merchant.slug}/m/unsubscribe/{token}/").status_code == 200
    anna.refresh_from_db()
    boris.refresh_from_db()
    assert not anna.consent_email and boris.consent_email


def test_quiet_hours_hold_sms_and_push_until_nine(monkeypatch, merchant, settings):
    monkeypatch.undo()
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    night = datetime(2027, 3, 10, 20, 0, tzinfo=dt_timezone.utc)  # 23:00 in Moscow
    assert channels.is_quiet(merchant=merchant, now=night)
    assert channels.quiet_ends(merchant=merchant, now=night) == datetime(2027, 3, 11, 6, 0, tzinfo=dt_timezone.utc)
    texted = customer_create(merchant, consent_sms=True)
    emailed = customer_create(merchant, email="e@example.com", consent_email=True)
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "n", "name": "N", "channels": ["email", "sms"], "text": "Hi"})
    mailing.campaign_run(campaign=campaign, now=night)
    assert len(mail.outbox) == 1 and sms.outbox == []
    campaign.refresh_from_db()
    assert campaign.status == "sending"
    mailing.campaigns_due(now=night + timedelta(hours=9, minutes=30))  # 08:30 Moscow: still quiet
    assert sms.outbox == []
    mailing.campaigns_due(now=night + timedelta(hours=10, minutes=1))  # 09:01 Moscow
    assert [item["phone"] for item in sms.outbox] == [texted.phone]
    campaign.refresh_from_db()
    assert campaign.status == "sent"
    assert Delivery.objects.get(customer=emailed).channel == "email"


def test_weekly_cap_skips_customers_already_mailed_but_not_triggers(merchant):
    program_set(merchant, max_marketing_per_week=1)
    anna = customer_create(merchant, email="a@example.com", consent_email=True)
    for code in ("one", "two"):
        campaign = mailing.campaign_create(merchant=merchant, data={"code": code, "name": code, "channels": ["email"], "text": "Hi"})
        mailing.campaign_run(campaign=campaign, now=timezone.now())
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(campaign__code="two").error.startswith("weekly cap")
    triggering.trigger_create(merchant=merchant, data={"code": "hi", "name": "Welcome", "event": "welcome", "channels": ["email"],
                                                       "text": "Welcome {name}"})
    assert triggering.triggers_run(now=timezone.now()) == 1
    assert len(mail.outbox) == 2 and mail.outbox[1].to == [anna.email]


def test_control_group_is_deterministic_and_gets_nothing(merchant):
    customers = [customer_create(merchant) for _ in range(40)]
    campaign = mailing.campaign_create(merchant=merchant, data={"code": "c", "name": "C", "channels": ["push"], "text": "Hi",
                                                                "control_percent": 50, "offer": {"points": 10}})
    held = {str(c.pk) for c in customers if mailing.is_control(campaign=campaign, customer_id=c.pk)}
    assert held == {str(c.pk) for c in customers if mailing.is_control(campaign=campaign, customer_id=str(c.pk))}
    assert 5 < len(held) < 35
    mailing.campaign_run(campaign=campaign, now=timezone.now())
    campaign.refresh_from_db()
    assert campaign.control == len(held) and campaign.recipients == 40
    messaged = {str(pk) for pk in CustomerMessage.objects.filter(customer__merchant=merchant).values_list("customer_id", flat=True)}
    assert messaged.isdisjoint(held) and len(messaged) == 40 - len(held)
    credited = {str(pk) for pk in Entry.objects.filter(kind="bonus").values_list("customer_id", flat=True)}
    assert credited == messaged


def test_report_compares_mailed_with_control_in_words(merchant, admin_client):
    customers = [customer_create(merchant) for _ in range(30)]
    campaign_post(admin_client, channels=["push"], control_percent=50)
    admin_client.post("/api/v1/campaigns/spring/send")
    campaign = Campaign.objects.get(code="spring")
    store = merchant.stores.get(code="main")
    for index, customer in enumerate(customers):
        if not mailing.is_control(campaign=campaign, customer_id=customer.pk):
            receipt_commit(merchant=merchant, store=store, customer=customer, draft=draft(("X", "1", "100.00")), number=f"R{index}")
    report = admin_client.get("/api/v1/campaigns/spring/report?days=7").json()
    assert report["buyers"]["control"] == 0 and report["buyers"]["mailed"] == 30 - campaign.control
    assert report["revenue_per_customer"]["mailed"] == "100.00"
    assert report["uplift"]["revenue_per_customer"] == "100.00"
    low, high = report["uplift"]["ci95"]
    assert float(low) <= 100 <= float(high)
    assert "campaign worked" in report["summary"]
    assert admin_client.get("/api/v1/campaigns/spring/report?days=x").status_code == 400


def test_bad_campaigns_are_400_and_write_nothing(admin_client):
    response = admin_client.post("/api/v1/campaigns", {"code": "x", "name": "X", "channels": ["email"]}, format="json")
    assert response.status_code == 400 and "text" in response.json()["fields"]
    response = campaign_post(admin_client, segment="nope")
    assert response.status_code == 400 and "segment" in response.json()["fields"]
    response = campaign_post(admin_client, channels=["fax"])
    assert response.status_code == 400 and "channels" in response.json()["fields"]
    response = campaign_post(admin_client, offer={"points": -1})
    assert response.status_code == 400 and "offer.points" in response.json()["fields"]
    response = campaign_post(admin_client, offer={"promotion": "missing"})
    assert response.status_code == 400 and "offer.promotion" in response.json()["fields"]
    assert not Campaign.objects.exists()


def test_pos_key_is_403_and_other_merchant_404(admin_client, pos_client, merchant):
    campaign_post(admin_client)
    assert pos_client.get("/api/v1/campaigns").status_code == 403
    assert pos_client.post("/api/v1/campaigns/spring/send").status_code == 403
    assert pos_client.get("/api/v1/triggers").status_code == 403
    assert pos_client.get("/api/v1/product-requests").status_code == 403
    other = client_for(MerchantFactory(), scope="admin")
    assert other.get("/api/v1/campaigns/spring").status_code == 404
    assert other.post("/api/v1/campaigns/spring/send").status_code == 404
    assert other.get("/api/v1/campaigns/spring/report").status_code == 404


def test_preview_renders_for_a_member_in_their_language(admin_client, merchant):
    anna = customer_create(merchant, name="Anna", language="en", email="a@example.com", consent_email=True)
    campaign_post(admin_client, offer={"points": 200, "ttl_days": 7}, text="Hi {name}, {balance} points until {offer_ends}")
    body = admin_client.post("/api/v1/campaigns/spring/preview", {"customer": str(anna.pk)}, format="json").json()
    assert body["language"] == "en" and body["channel"] == "email"
    assert body["text"].startswith("Hi Anna, 500 points until ")
    other = customer_create(MerchantFactory())
    assert admin_client.post("/api/v1/campaigns/spring/preview", {"customer": str(other.pk)}, format="json").status_code == 404
    assert admin_client.post("/api/v1/campaigns/spring/test", {"email": "me@example.com"}, format="json").status_code == 200
    assert mail.outbox[-1].subject.startswith("[TEST]")
    assert admin_client.post("/api/v1/campaigns/spring/test", {"email": "nope"}, format="json").status_code == 400


def test_triggers_fire_once_per_occasion(admin_client, merchant):
    now = timezone.now()
    born = (now + timedelta(days=2)).date().replace(year=1990)
    anna = customer_create(merchant, birthday=born)
    customer_create(merchant, birthday=(now + timedelta(days=10)).date().replace(year=1990))
    response = admin_client.post("/api/v1/triggers", {"code": "bday", "name": "Birthday", "event": "birthday", "days_before": 3,
                                                      "channels": ["push"], "text": "Happy birthday {name}",
                                                      "offer": {"points": 100, "ttl_days": 14}}, format="json")
    assert response.status_code == 201, response.content
    assert triggering.triggers_run(now=now) == 1
    assert triggering.triggers_run(now=now) == 0
    assert triggering.triggers_run(now=now + timedelta(days=1)) == 0
    assert CustomerMessage.objects.filter(customer=anna, title="").count() + CustomerMessage.objects.filter(customer=anna).exclude(title="").count() >= 1
    assert Entry.objects.filter(customer=anna, kind="bonus").count() == 1
    assert admin_client.get("/api/v1/triggers/bday").json()["sent_last_week"] == 1
    bad = admin_client.post("/api/v1/triggers", {"code": "w", "name": "W", "event": "winback", "text": "x"}, format="json")
    assert bad.status_code == 400 and "days" in bad.json()["fields"]
    bad = admin_client.post("/api/v1/triggers", {"code": "w", "name": "W", "event": "party", "text": "x"}, format="json")
    assert bad.status_code == 400 and "event" in bad.json()["fields"]


def test_run_triggers_command_twice_sends_nothing_more(merchant):
    from io import StringIO

    from django.core.management import call_command

    customer_create(merchant, at=timezone.now() - timedelta(days=100))
    triggering.trigger_create(merchant=merchant, data={"code": "wb", "name": "Win back", "event": "winback", "days": 60,
                                                       "channels": ["push"], "text": "We miss you"})
    moment = timezone.now().isoformat()
    out = StringIO()
    call_command("run_triggers", "--now", moment, stdout=out)
    call_command("run_triggers", "--now", moment, stdout=out)
    assert out.getvalue().splitlines()[0].startswith("run_triggers: 1 ")
    assert out.getvalue().splitlines()[1].startswith("run_triggers: 0 ")


def test_product_requests_notify_exactly_those_who_asked(admin_client, merchant):
    asked = [customer_create(merchant) for _ in range(3)]
    customer_create(merchant)  # did not ask
    for customer in asked:
        assert admin_client.post("/api/v1/product-requests", {"customer": str(customer.pk), "sku": "AQUA-60"}, format="json").status_code == 201
    admin_client.post("/api/v1/product-requests", {"customer": str(asked[0].pk), "sku": "AQUA-60"}, format="json")  # twice = once
    assert admin_client.get("/api/v1/product-requests").json()[0] == {**admin_client.get("/api/v1/product-requests").json()[0],
                                                                        "sku": "AQUA-60", "customers": 3}
    response = admin_client.post("/api/v1/product-requests/notify", {"sku": "AQUA-60", "text": "It is in, {name}!"}, format="json")
    assert response.status_code == 202 and response.json()["recipients"] == 3
    notified = set(CustomerMessage.objects.filter(body__startswith="It is in").values_list("customer_id", flat=True))
    assert notified == {c.pk for c in asked}
    assert not ProductRequest.objects.filter(notified_at__isnull=True).exists()
    again = admin_client.post("/api/v1/product-requests/notify", {"sku": "AQUA-60", "text": "x"}, format="json")
    assert again.status_code == 400 and "sku" in again.json()["fields"]


class _Recorder(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        _Recorder.seen.append({"path": self.path, "auth": self.headers["Authorization"], "body": json.loads(self.rfile.read(length))})
        self.send_response(201 if self.headers["Authorization"] == "Bearer secret" else 401)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_http_sms_adapter_posts_to_the_gateway(settings, merchant):
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        settings.SMS_BACKEND = "campaigns.channels.HttpSmsBackend"
        settings.SMS_HTTP_URL = f"http://127.0.0.1:{server.server_port}/v1"
        settings.SMS_HTTP_TOKEN = "secret"
        customer = customer_create(merchant, name="Ivan", consent_sms=True)
        campaign = mailing.campaign_create(merchant=merchant, data={"code": "s", "name": "S", "channels": ["sms"], "text": "Hi {name}"})
        mailing.campaign_run(campaign=campaign, now=timezone.now())
        assert _Recorder.seen[-1] == {"path": "/v1/messages", "auth": "Bearer secret",
                                      "body": {"to": customer.phone, "text": "Hi Ivan", "sender": ""}}
        assert Delivery.objects.get(campaign=campaign).status == "sent"
        settings.SMS_HTTP_TOKEN = "wrong"
        campaign = mailing.campaign_create(merchant=merchant, data={"code": "s2", "name": "S", "channels": ["sms"], "text": "Hi"})
        mailing.campaign_run(campaign=campaign, now=timezone.now())
        row = Delivery.objects.get(campaign=campaign)
        assert row.status == "failed" and "401" in row.error
    finally:
        server.shutdown()


def test_program_cap_setting_in_the_api(admin_client):
    assert admin_client.get("/api/v1/program").json()["max_marketing_per_week"] is None
    assert admin_client.patch("/api/v1/program", {"max_marketing_per_week": 2}, format="json").json()["max_marketing_per_week"] == 2
    assert admin_client.patch("/api/v1/program", {"max_marketing_per_week": -1}, format="json").status_code == 400


def test_campaign_to_a_segment_goes_to_its_members_only(admin_client, merchant):
    women = [customer_create(merchant, gender="f") for _ in range(3)]
    customer_create(merchant, gender="m")
    response = admin_client.post("/api/v1/segments", {"code": "women", "name": "Women",
                                                      "rules": {"all": [{"field": "gender", "op": "eq", "value": "f"}]}}, format="json")
    assert response.status_code == 201, response.content
    assert campaign_post(admin_client, segment="women", channels=["push"]).status_code == 201
    admin_client.post("/api/v1/campaigns/spring/send")
    body = admin_client.get("/api/v1/campaigns/spring").json()
    assert body["segment"] == "women" and body["recipients"] == 3 and body["sent"]["push"] == 3
    assert set(Delivery.objects.values_list("customer_id", flat=True)) == {c.pk for c in women}

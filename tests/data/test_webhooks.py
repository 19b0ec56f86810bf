"""Webhooks: endpoints over the API, the outbox written with each change, signed deliveries to a real
receiver on loopback, retries with backoff, and the delivery log."""
import json
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loyalty.models import Tier, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from loyalty.services import receipt_commit, receipt_refund, webhooks
from loyalty.jobs import job_run
from tests.data.receiver import Receiver
from tests.factories import MerchantFactory, client_for, customer_create, draft, program_set

SECRET = "s3cret-s3cret-s3cret"


def endpoint_make(merchant, url="https://crm.example.com/hook", events=("receipt.committed",)):
    return webhooks.webhook_endpoint_create(merchant=merchant, url=url, events=list(events), secret=SECRET)


def commit(merchant, customer, number="1", amount="1000.00"):
    return receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                          draft=draft(("TV", "1", amount)), number=number)[0]


# --- the API ---------------------------------------------------------------------------------------

def test_an_owner_adds_lists_and_deletes_an_endpoint_and_sees_the_secret_once(admin_client):
    created = admin_client.post("/api/v1/webhooks", {"url": "https://crm.example.com/hook", "events": ["tier.changed", "receipt.committed"]},
                                format="json")

    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 30
    assert body["events"] == ["receipt.committed", "tier.changed"]
    listed = admin_client.get("/api/v1/webhooks").json()
    assert [item["url"] for item in listed] == ["https://crm.example.com/hook"]
    assert "secret" not in listed[0]
    assert admin_client.delete(f"/api/v1/webhooks/{body['id']}").status_code == 204
    assert admin_client.get("/api/v1/webhooks").json() == []


@pytest.mark.parametrize("url", ["ftp://crm.example.com/hook", "javascript:alert(1)", "crm.example.com", "", "https://", 42])
def test_a_url_that_is_not_http_is_refused_by_name(admin_client, url):
    response = admin_client.post("/api/v1/webhooks", {"url": url, "events": ["receipt.committed"]}, format="json")

    assert response.status_code == 400
    assert "url" in response.json()["fields"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("events", [[], ["receipt.eaten"], "receipt.committed", None, [1]])
def test_events_must_be_a_list_of_known_names(admin_client, events):
    response = admin_client.post("/api/v1/webhooks", {"url": "https://x.example.com", "events": events}, format="json")

    assert response.status_code == 400
    assert "events" in response.json()["fields"]


def test_a_pos_key_cannot_touch_webhooks_or_imports(pos_client):
    assert pos_client.get("/api/v1/webhooks").status_code == 403
    assert pos_client.post("/api/v1/webhooks", {"url": "https://x.example.com", "events": ["receipt.committed"]}, format="json").status_code == 403
    assert pos_client.get("/api/v1/imports/0b6f3c1e-7d2a-4c55-9a53-2f1d6a3e9b10").status_code == 403


def test_another_merchants_endpoint_is_404_and_stays(admin_client):
    other = endpoint_make(MerchantFactory())

    assert admin_client.delete(f"/api/v1/webhooks/{other.pk}").status_code == 404
    assert admin_client.delete("/api/v1/webhooks/not-a-number").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=other.pk).exists()
    assert admin_client.get("/api/v1/webhooks").json() == []


# --- the outbox ------------------------------------------------------------------------------------

def test_a_merchant_without_webhooks_pays_no_query_for_an_event(merchant):
    webhooks.webhook_subscriptions(merchant_id=merchant.pk)  # warm the cache, as the first commit does

    with CaptureQueriesContext(connection) as queries:
        assert webhooks.event_emit(merchant=merchant, name="receipt.committed", payload=lambda: 1 / 0) is None

    assert len(queries) == 0


def test_a_subscribed_event_costs_one_insert_and_others_none(merchant):
    endpoint_make(merchant, events=["receipt.committed"])
    webhooks.webhook_subscriptions(merchant_id=merchant.pk)

    with CaptureQueriesContext(connection) as queries:
        webhooks.event_emit(merchant=merchant, name="receipt.committed", payload={"x": 1})
        webhooks.event_emit(merchant=merchant, name="customer.created", payload={"x": 2})

    assert [q["sql"].split()[0] for q in queries] == ["INSERT"]
    assert list(WebhookEvent.objects.values_list("name", "payload")) == [("receipt.committed", {"x": 1})]


def test_the_cache_forgets_a_merchants_events_when_an_endpoint_changes(merchant):
    assert webhooks.webhook_subscriptions(merchant_id=merchant.pk) == frozenset()
    endpoint = endpoint_make(merchant, events=["customer.created"])
    assert webhooks.webhook_subscriptions(merchant_id=merchant.pk) == {"customer.created"}
    webhooks.webhook_endpoint_delete(endpoint=endpoint)
    assert webhooks.webhook_subscriptions(merchant_id=merchant.pk) == frozenset()


def test_loyalty_writes_its_events_with_the_changes(merchant):
    program_set(merchant, welcome_bonus=0)
    endpoint_make(merchant, events=["customer.created", "receipt.committed", "receipt.refunded", "tier.changed"])
    customer = customer_create(merchant)
    receipt = commit(merchant, customer)
    receipt_refund(receipt=receipt, data={"lines": [{"sku": "TV", "quantity": "1"}]})

    events = list(WebhookEvent.objects.order_by("id"))
    assert [event.name for event in events] == ["customer.created", "receipt.committed", "receipt.refunded"]
    assert events[0].payload["phone"] == customer.phone
    assert events[1].payload["number"] == "1"
    assert events[1].payload["total"] == "1000.00" and events[1].payload["customer"] == str(customer.pk)
    assert events[2].payload["receipt"] == str(receipt.pk) and events[2].payload["fully_refunded"] is True


def test_a_rolled_back_change_leaves_no_event(merchant):
    endpoint_make(merchant, events=["customer.created"])

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            customer_create(merchant)
            raise RuntimeError("the till lost power")

    assert not WebhookEvent.objects.exists()


def test_the_expiry_job_writes_one_points_expired_event_per_customer(merchant):
    other = MerchantFactory()
    endpoint_make(merchant, events=["points.expired"])
    joined = timezone.now() - timedelta(days=30)
    first, second = customer_create(merchant, at=joined), customer_create(merchant, at=joined)
    customer_create(other, at=joined)  # no endpoint: no event

    assert job_run(name="expire_points") == 3

    events = sorted(WebhookEvent.objects.filter(name="points.expired").values_list("merchant_id", "payload"), key=lambda e: e[1]["phone"])
    assert [(m, p["customer"], p["phone"], p["points"]) for m, p in events] == [
        (merchant.pk, str(first.pk), first.phone, 300), (merchant.pk, str(second.pk), second.phone, 300),
    ]


# --- delivery --------------------------------------------------------------------------------------

def test_a_delivery_is_signed_and_logged(merchant):
    with Receiver(codes=[200]) as receiver:
        endpoint = endpoint_make(merchant, url=receiver.url)
        event = webhooks.event_emit(merchant=merchant, name="receipt.committed", payload={"number": "42"})

        assert webhooks.webhooks_deliver() == 1

    [request] = receiver.requests
    headers = request["headers"]
    assert headers["X-Loyalty-Event"] == "receipt.committed"
    delivery = WebhookDelivery.objects.get()
    assert headers["X-Loyalty-Delivery"] == str(delivery.pk)
    assert webhooks.signature_verify(secret=SECRET, body=request["body"], header=headers["X-Loyalty-Signature"])
    assert not webhooks.signature_verify(secret="another-secret-0000", body=request["body"], header=headers["X-Loyalty-Signature"])
    assert not webhooks.signature_verify(secret=SECRET, body=request["body"] + b" ", header=headers["X-Loyalty-Signature"])
    body = json.loads(request["body"])
    assert body == {"id": str(delivery.pk), "event": "receipt.committed", "created_at": event.created_at.isoformat(), "data": {"number": "42"}}
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.endpoint_id) == ("delivered", 1, 200, endpoint.pk)
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [200]


def test_a_failed_delivery_is_retried_with_backoff_then_delivered(merchant):
    now = timezone.now()
    with Receiver(codes=[500, 200]) as receiver:
        endpoint_make(merchant, url=receiver.url)
        webhooks.event_emit(merchant=merchant, name="receipt.committed", payload={"number": "42"})

        assert webhooks.webhooks_deliver(now=now) == 1
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.last_status_code) == ("pending", 500)
        assert delivery.next_attempt_at == now + timedelta(seconds=30)
        assert webhooks.webhooks_deliver(now=now + timedelta(seconds=10)) == 0  # not due yet
        assert webhooks.webhooks_deliver(now=now + timedelta(seconds=30)) == 1

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500, 200]
    first, second = receiver.requests
    assert first["headers"]["X-Loyalty-Delivery"] == second["headers"]["X-Loyalty-Delivery"]
    assert first["body"] == second["body"]
    for request in receiver.requests:
        assert webhooks.signature_verify(secret=SECRET, body=request["body"], header=request["headers"]["X-Loyalty-Signature"])


def test_retries_double_and_stop_after_a_day(merchant):
    now = timezone.now()
    with Receiver(codes=[503]) as receiver:
        endpoint_make(merchant, url=receiver.url)
        webhooks.event_emit(merchant=merchant, name="receipt.committed", payload={})
        moment, gaps = now, []
        for _ in range(20):
            if not webhooks.webhooks_deliver(now=moment):
                break
            delivery = WebhookDelivery.objects.get()
            if delivery.next_attempt_at is None:
                break
            gaps.append((delivery.next_attempt_at - moment).total_seconds())
            moment = delivery.next_attempt_at

    delivery.refresh_from_db()
    assert gaps[:4] == [30, 60, 120, 240]
    assert delivery.status == "failed"
    assert moment - now <= timedelta(days=1)
    assert WebhookAttempt.objects.count() == delivery.attempts == len(gaps) + 1


def test_an_unreachable_endpoint_is_logged_without_a_code(merchant):
    with Receiver() as receiver:
        url = receiver.url
    endpoint_make(merchant, url=url)  # the server is gone: connection refused
    webhooks.event_emit(merchant=merchant, name="receipt.committed", payload={})

    webhooks.webhooks_deliver()

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error
    assert WebhookDelivery.objects.get().status == "pending"


def test_a_commit_queues_the_delivery_after_it_commits(merchant, django_capture_on_commit_callbacks, monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)  # the worker runs the queued task at once
    program_set(merchant, welcome_bonus=0)
    with Receiver(codes=[200]) as receiver:
        endpoint_make(merchant, url=receiver.url)
        customer = customer_create(merchant)
        with django_capture_on_commit_callbacks(execute=True):
            receipt = commit(merchant, customer, number="77")

    [request] = receiver.requests
    assert request["headers"]["X-Loyalty-Event"] == "receipt.committed"
    assert json.loads(request["body"])["data"]["receipt"] == str(receipt.pk)


def test_the_test_event_really_sends(merchant):
    with Receiver(codes=[204]) as receiver:
        endpoint = endpoint_make(merchant, url=receiver.url)
        delivery = webhooks.webhook_test_send(endpoint=endpoint)

    assert (delivery.status, delivery.last_status_code) == ("delivered", 204)
    assert receiver.requests[0]["headers"]["X-Loyalty-Event"] == "webhook.test"


def test_tier_changes_emit_one_by_one_and_set_based(merchant):
    from loyalty.services.tiers import tier_base_create, tier_create, tier_delete

    if not Tier.objects.filter(merchant=merchant, entry={}).exists():
        tier_base_create(merchant=merchant)
    gold = tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 5, "entry": {"purchases": 1}})
    endpoint_make(merchant, events=["tier.changed"])
    customer = customer_create(merchant)

    commit(merchant, customer)  # the upgrade the receipt earned, recorded one by one
    tier_delete(tier=gold)  # everyone in Gold moves down, recorded set-based

    events = list(WebhookEvent.objects.filter(name="tier.changed").order_by("id").values_list("payload", flat=True))
    assert [(e["customer"], e["from"], e["to"], e["reason"]) for e in events] == [
        (str(customer.pk), events[0]["from"], "gold", "upgrade"),
        (str(customer.pk), "gold", events[0]["from"], "tier_deleted"),
    ]
    assert events[0]["from"] is not None


def test_a_commit_of_a_merchant_without_webhooks_touches_no_webhook_table(merchant):
    program_set(merchant, welcome_bonus=0)
    customer = customer_create(merchant)
    commit(merchant, customer, number="warm")  # the first commit of the process caches "no endpoints"

    with CaptureQueriesContext(connection) as queries:
        commit(merchant, customer, number="2")

    assert not [q["sql"] for q in queries if "webhook" in q["sql"].lower()]
    assert not WebhookEvent.objects.exists()

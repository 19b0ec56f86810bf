"""The owner's Settings screens: import (upload, dry run, run, progress, errors) and webhooks
(endpoints, the secret once, test event, delivery log). Owner only."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Customer
from loyalty.models import CustomerImport, WebhookEndpoint
from loyalty.services import imports, webhooks
from tests.data.receiver import Receiver
from tests.factories import MerchantFactory

pytestmark = pytest.mark.django_db

CSV = b"phone,name,balance\n+79990000001,Anna,100\nnope,Boris,\n"


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner.user)
    return client


def test_an_owner_dry_runs_then_runs_an_import_and_sees_the_errors(owner_client, merchant):
    response = owner_client.post("/office/settings/import/", {"file": SimpleUploadedFile("base.csv", CSV), "dry_run": "on"})
    job = CustomerImport.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/office/settings/import/{job.pk}/")

    page = owner_client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page  # queued: the progress polls

    imports.import_run(import_id=job.pk)
    fragment = owner_client.get(f"/office/settings/import/{job.pk}/progress/").content.decode()
    assert "hx-trigger" not in fragment and "Dry run finished" in fragment
    assert "nope is not a valid phone number." in fragment and "Run the import" in fragment
    assert not Customer.objects.exists()

    run = owner_client.post(f"/office/settings/import/{job.pk}/run/")
    real = CustomerImport.objects.exclude(pk=job.pk).get()
    assert run["Location"].endswith(f"/office/settings/import/{real.pk}/")
    imports.import_run(import_id=real.pk)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Anna"]
    assert owner_client.post(f"/office/settings/import/{job.pk}/run/").status_code == 302  # a second run is refused
    assert CustomerImport.objects.count() == 2


def test_a_bad_file_is_shown_on_the_form(owner_client):
    response = owner_client.post("/office/settings/import/", {"file": SimpleUploadedFile("x.csv", b"name\nAnna\n")})

    assert response.status_code == 400
    assert "no phone column" in response.content.decode()
    assert not CustomerImport.objects.exists()


def test_an_owner_adds_an_endpoint_sees_the_secret_once_and_sends_a_test_event(owner_client, merchant):
    with Receiver(codes=[200]) as receiver:
        response = owner_client.post("/office/settings/webhooks/", {"url": receiver.url, "events": ["receipt.committed"]})
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.secret in response.content.decode()
        assert response["Cache-Control"] == "no-store"
        assert endpoint.secret not in owner_client.get("/office/settings/webhooks/").content.decode()

        sent = owner_client.post(f"/office/settings/webhooks/{endpoint.pk}/test/", follow=True).content.decode()

    assert receiver.requests[0]["headers"]["X-Loyalty-Event"] == "webhook.test"
    assert "answered 200" in sent
    assert "webhook.test" in sent  # in the delivery log


def test_a_non_http_url_is_refused_on_the_form(owner_client):
    response = owner_client.post("/office/settings/webhooks/", {"url": "ftp://x.example.com", "events": ["receipt.committed"]})

    assert response.status_code == 400
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", ["marketer", "cashier"])
def test_settings_are_for_the_owner_only(client, request, role):
    member = request.getfixturevalue(role)
    client.force_login(member.user)

    for url in ("/office/settings/import/", "/office/settings/webhooks/"):
        assert client.get(url).status_code == 403


def test_another_merchants_import_and_endpoint_are_404(owner_client):
    other = MerchantFactory()
    job = imports.import_create(merchant=other, name="x.csv", data=CSV)
    endpoint = webhooks.webhook_endpoint_create(merchant=other, url="https://x.example.com", events=["receipt.committed"])

    assert owner_client.get(f"/office/settings/import/{job.pk}/").status_code == 404
    assert owner_client.get(f"/office/settings/import/{job.pk}/progress/").status_code == 404
    assert owner_client.post(f"/office/settings/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert owner_client.post(f"/office/settings/webhooks/{endpoint.pk}/test/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()

"""The owner's Settings in a real browser, English and Russian: a dry run of an import with its row
errors, running it for real, the progress bar polling while a job runs, and a webhook endpoint with
its secret shown once, a test event that really reaches a receiver, and the delivery log.
Screenshots go to artifacts/screens/ (git-ignored)."""
import os
from pathlib import Path

import pytest

from accounts.models import Customer, Role
from accounts.services import staff_add
from loyalty.models import CustomerImport
from tests.data.receiver import Receiver
from tests.factories import MerchantFactory
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, shot, sign_in  # noqa: F401  (browser is a fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

CSV = ("phone,name,email,balance,balance_expires_on,tier\n"
       "+79990000001,Анна Морозова,anna@example.com,500,2099-12-31,\n"
       "8 999 000-00-02,Boris,,120,,\n"
       "12,Broken,not-an-email,-5,,platinum\n").encode()


@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_owner_imports_a_base_and_adds_a_webhook(browser, live_server, monkeypatch, language):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)  # the job runs as soon as the upload commits
    merchant = MerchantFactory(slug="demo", name="Demo Shop", language=language)
    staff_add(merchant=merchant, email="owner@demo.test", role=Role.OWNER, password=PASSWORD, full_name="Olga")
    page = new_page(browser, live_server, language, width=1280, height=900)
    sign_in(page, live_server, "owner@demo.test", lands_at="office")

    page.goto(f"{live_server.url}/office/settings/import/")
    page.set_input_files("input[type=file]", files=[{"name": "base.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.click("[data-testid=import-form] button[type=submit]")
    page.locator("[data-testid=import-errors]").wait_for()
    assert page.locator("[data-testid=import-progress]").get_attribute("data-status") == "done"
    assert page.locator("[data-testid=created]").inner_text() == "2"
    assert page.locator("[data-testid=import-errors] tbody tr").count() == 4  # phone, email, balance, tier of row 4
    assert not Customer.objects.exists()
    shot(page, f"data-import-dry-run-{language}")

    page.click("[data-testid=run-import]")
    page.locator("[data-testid=import-progress][data-status=done]").wait_for()
    page.locator("[data-testid=run-import]").wait_for(state="detached")
    assert Customer.objects.filter(merchant=merchant).count() == 2
    shot(page, f"data-import-done-{language}")

    running = CustomerImport.objects.create(merchant=merchant, filename="big.csv", file_format="csv", status="running", rows=100000, done=40000)
    page.goto(f"{live_server.url}/office/settings/import/{running.pk}/")
    page.locator("[data-testid=import-progress][data-status=running]").wait_for()
    shot(page, f"data-import-progress-{language}")
    CustomerImport.objects.filter(pk=running.pk).update(status="done", done=100000, created=99000, updated=1000)
    page.locator("[data-testid=import-result]").wait_for()  # the bar polled and the result replaced it

    page.goto(f"{live_server.url}/office/settings/import/")
    shot(page, f"data-imports-{language}")

    with Receiver(codes=[200]) as receiver:
        page.goto(f"{live_server.url}/office/settings/webhooks/")
        page.fill("input[name=url]", receiver.url)
        page.check("input[value='receipt.committed']")
        page.check("input[value='customer.created']")
        page.click("[data-testid=webhook-form] button[type=submit]")
        page.locator("[data-testid=webhook-secret]").wait_for()
        shot(page, f"data-webhook-secret-{language}")
        page.click("[data-testid=webhook-test]")
        page.locator("[data-testid=deliveries]").wait_for()
    assert receiver.requests and receiver.requests[0]["headers"]["X-Loyalty-Event"] == "webhook.test"
    assert page.locator("[data-testid=webhook-secret]").count() == 0  # shown once
    assert "200" in page.locator("[data-testid=deliveries]").inner_text()
    shot(page, f"data-webhooks-{language}")

"""In a browser, in English and Russian: a marketer writes a campaign, previews it for a member, sends it and reads
the report; the customer opens the unsubscribe link from the email and stops the news."""
import os
import re
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import Role
from accounts.services import staff_add
from campaigns import channels
from tests.factories import MerchantFactory, customer_create
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, sign_in  # noqa: F401 (the browser fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
SHOTS = Path(os.environ.get("MESSAGING_SHOTS", "")) if os.environ.get("MESSAGING_SHOTS") else None

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]

TEXT = {
    "en": {"send": "Send now", "save": "Save", "preview": "Show the message", "done": "100.00% done", "stop": "Stop news by email",
           "stopped": "will send you no more news"},
    "ru": {"send": "Отправить сейчас", "save": "Сохранить", "preview": "Предпросмотр", "done": "Готово 100.00%",
           "stop": "Больше не присылать", "stopped": "больше не будет присылать"},
}


def shot(page, name):
    if SHOTS:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def _daytime(monkeypatch):
    from django_q.conf import Conf

    monkeypatch.setattr(Conf, "SYNC", True)
    monkeypatch.setattr(channels, "is_quiet", lambda *, merchant, now: False)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_sends_a_campaign_and_a_customer_unsubscribes(browser, live_server, language):  # noqa: F811
    text = TEXT[language]
    merchant = MerchantFactory(slug="demo", name="Demo Shop", language=language)
    staff_add(merchant=merchant, email="marketer@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Mark")
    anna = customer_create(merchant, phone="+79991234567", name="Anna", email="anna@demo.test", consent_email=True, language=language)
    customer_create(merchant, name="Boris")
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "marketer@demo.test", lands_at="office")
    page.goto(f"{live_server.url}/office/messaging/campaigns/")
    shot(page, f"{language}-1-campaigns-empty")
    page.goto(f"{live_server.url}/office/messaging/campaigns/new/")
    page.fill("input[name=name]", "Spring")
    page.fill("input[name=code]", "spring")
    page.check("input[name=channels][value=email]")
    page.check("input[name=channels][value=push]")
    page.fill("input[name=subject]", "Spring at Demo, {name}")
    page.fill("textarea[name=text]", "Hello {name}! {balance} points are yours until {offer_ends}.")
    page.fill("input[name=offer_points]", "200")
    page.fill("input[name=offer_ttl_days]", "7")
    page.fill("input[name=control_percent]", "0")
    page.get_by_test_id("campaign-save").click()
    page.wait_for_url(re.compile(r"/campaigns/spring/$"))
    page.fill("#campaign-preview input[name=customer]", "+79991234567")
    page.locator("#campaign-preview button[type=submit]").click()
    page.get_by_test_id("preview-text").wait_for()
    assert page.get_by_test_id("preview-text").inner_text().startswith("Hello Anna! 500 points are yours until")
    shot(page, f"{language}-2-campaign-preview")
    page.get_by_test_id("campaign-send").click()
    page.get_by_test_id("delivery-log").wait_for()
    assert text["done"] in page.get_by_test_id("campaign-progress").inner_text()
    shot(page, f"{language}-3-campaign-sent")
    page.get_by_test_id("report-link").click()
    page.get_by_test_id("uplift-chart").wait_for()
    shot(page, f"{language}-4-report")
    for path in ("triggers/", "product-requests/", "campaigns/"):
        page.goto(f"{live_server.url}/office/messaging/{path}")
        shot(page, f"{language}-5-{path.strip('/')}")
    # The customer follows the unsubscribe link in the email.
    message = next(item for item in mail.outbox if item.to == [anna.email])
    link = re.search(r"<(.+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    customer_page = new_page(browser, live_server, language, width=390, height=844)
    customer_page.goto(live_server.url + link if link.startswith("/") else link)
    shot(customer_page, f"{language}-6-unsubscribe")
    customer_page.get_by_test_id("unsubscribe-button").click()
    customer_page.get_by_test_id("unsubscribed").wait_for()
    assert text["stopped"] in customer_page.get_by_test_id("unsubscribed").inner_text()
    shot(customer_page, f"{language}-7-unsubscribed")
    anna.refresh_from_db()
    assert not anna.consent_email

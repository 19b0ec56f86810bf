"""Stored texts in the reader's language, in a real browser: a Russian merchant's POS receipt read on
the counter, in the back-office and in the portal, in English and in Russian, with screenshots
(artifacts/screens/, git-ignored)."""
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import Role
from accounts.services import staff_add
from loyalty.services import points_adjust, points_expire, receipt_commit
from loyalty.services.tiers import tier_create
from tests.factories import MerchantFactory, customer_create, draft
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, shot, sign_in  # noqa: F401  (browser is a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="no Chromium")]

EXPECT = {
    "en": {"explain": "Base accrual 5%", "redeemed": "Points redeemed", "history": "Points for purchase, receipt POS-1",
           "adjust": "Adjustment", "expiry": "Expiry", "message": "Welcome to Gold!", "points": "points"},
    "ru": {"explain": "Базовое начисление 5%", "redeemed": "Списание баллов", "history": "Баллы за покупку, чек POS-1",
           "adjust": "Корректировка", "expiry": "Сгорание", "message": "Добро пожаловать в Gold!", "points": "балл"},
}
FOREIGN = {"en": re.compile(r"Начислени|Списани|Баллы за|Корректировка:|сгорел"), "ru": re.compile(r"Base accrual|Points redeemed|Points for purchase")}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_texts_of_a_russian_merchant_in_each_readers_language(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo", language="ru")
    tier_create(merchant=merchant, data={"code": "gold", "name": "Gold", "rank": 2, "entry": {"total_spend": "1000.00"}})
    staff_add(merchant=merchant, email="cashier@demo.test", role=Role.CASHIER, password=PASSWORD, full_name="Kate")
    owner = staff_add(merchant=merchant, email="owner@demo.test", role=Role.OWNER, password=PASSWORD, full_name="Olga")
    customer = customer_create(merchant, phone="+79991234567", name="Anna", email="anna@demo.test", language=language)
    old = customer_create(merchant, phone="+79991234568", name="Boris", at=timezone.now() - timedelta(days=30))
    points_expire(now=timezone.now())
    receipt, _calc = receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                                    draft=draft(("MILK-1", "2", "1000.00"), redeem=100), number="POS-1")
    points_adjust(customer=customer, points=21, reason="Жалоба: кофе остыл", staff=owner.user)
    expect, foreign = EXPECT[language], FOREIGN[language]

    # The counter: the preview explains in the cashier's language, and so does the receipt.
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "cashier@demo.test", lands_at="counter")
    page.goto(f"{live_server.url}/counter/customers/{customer.pk}/")
    page.fill("#amount", "480")
    page.fill("#redeem", "max")
    page.locator('[data-testid=explain]').wait_for()  # a locator wait: the CSP forbids wait_for_function's in-page eval
    preview = page.get_by_test_id("preview").inner_text()
    assert expect["redeemed"] in preview and not foreign.search(preview)
    shot(page, f"{language}-lang-counter-preview")
    page.goto(f"{live_server.url}/counter/receipts/{receipt.pk}/")
    text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
    assert expect["explain"] in text and not foreign.search(text)
    shot(page, f"{language}-lang-counter-receipt")

    # The back-office: the customer's history and the receipt.
    office = new_page(browser, live_server, language, width=1366, height=1100)
    sign_in(office, live_server, "owner@demo.test", lands_at="office")
    office.goto(f"{live_server.url}/office/customers/{customer.pk}/")
    text = office.inner_text("body")
    assert expect["adjust"] in text and "Жалоба: кофе остыл" in text and not foreign.search(text)
    shot(office, f"{language}-lang-office-history")
    office.goto(f"{live_server.url}/office/customers/{old.pk}/")
    text = office.inner_text("body")
    assert expect["expiry"] in text and not foreign.search(text)
    office.goto(f"{live_server.url}/office/receipts/{receipt.pk}/")
    text = office.inner_text("body")
    assert expect["explain"] in text and not foreign.search(text)
    shot(office, f"{language}-lang-office-receipt")

    # The portal, in the customer's language: history and the tier message.
    session = SessionStore()
    session["portal"] = {merchant.slug: str(customer.pk)}
    session.create()
    portal = new_page(browser, live_server, language, width=430, height=1400)
    portal.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])
    portal.goto(f"{live_server.url}/my/{merchant.slug}/")
    text = portal.inner_text("body")
    assert expect["history"] in text and expect["message"] in text and not foreign.search(text)
    shot(portal, f"{language}-lang-portal-history")

"""Screens of this round in a real browser, English and Russian: the audit log, the customer page with the
profile form, the counter profile form and name search, the rules and privacy pages, the portal profile
with a locked birthday, the 403 and lockout pages. Screenshots go to artifacts/screens/ (git-ignored)."""
import os
import re
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from accounts.models import Role
from accounts.services import customer_edit, staff_add, staff_role_set
from loyalty.services import points_adjust, program_update
from loyalty.services.pages import program_page_save
from tests.factories import MerchantFactory, customer_create
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, shot, sign_in  # noqa: F401  (browser is a fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

TEXT = {
    "en": {"role": "Role of kate@demo.test changed from Cashier to Marketer", "adjust": "Adjustment +50 points for Анна Морозова",
           "forbidden": "This page is not open to you", "lockout": "Sign-in paused", "locked": "ask at the counter",
           "rules": "Program rules", "privacy": "What we keep", "matches": "Customers matching"},
    "ru": {"role": "Роль kate@demo.test изменена: Кассир → Маркетолог", "adjust": "Корректировка +50 баллов — Анна Морозова",
           "forbidden": "Эта страница вам недоступна", "lockout": "Вход приостановлен", "locked": "обратитесь на кассе",
           "rules": "Правила программы", "privacy": "Что мы храним", "matches": "Покупатели по запросу"},
}


@pytest.fixture
def demo(db):
    def make(language: str):
        merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Хвост и лапы", language=language)
        owner = staff_add(merchant=merchant, email="owner@demo.test", role=Role.OWNER, password=PASSWORD, full_name="Olga").user
        kate = staff_add(merchant=merchant, email="kate@demo.test", role=Role.CASHIER, password=PASSWORD, full_name="Kate", actor=owner)
        staff_add(merchant=merchant, email="cashier@demo.test", role=Role.CASHIER, password=PASSWORD, full_name="Igor")
        staff_role_set(membership=kate, role=Role.MARKETER, actor=owner)
        anna = customer_create(merchant, phone="+79991234567", name="Анна Морозова", email="anna@demo.test", birthday=date(1990, 5, 1))
        customer_create(merchant, phone="+79991234568", name="Мария Морозова")
        points_adjust(customer=anna, points=50, reason="Порванный пакет" if language == "ru" else "Torn bag", staff=owner)
        customer_edit(customer=anna, actor=owner, data={"consent_sms": True, "gender": "f"})
        program_update(merchant=merchant, changes={"accrual_percent": "7.00", "points_ttl_days": 180}, actor=owner)
        program_page_save(merchant=merchant, kind="rules", actor=owner, body=(
            "# Как это работает\n\nЗа каждую покупку — **7 %** баллами.\n\n- Баллы живут 180 дней\n- Списать можно до половины чека\n\n<script>alert(1)</script>"
            if language == "ru" else
            "# How it works\n\nEvery purchase earns **7 %** in points.\n\n- Points last 180 days\n- Pay up to half a receipt with points\n\n<script>alert(1)</script>"))
        return merchant, anna
    return make


def portal_page(browser, live_server, language, customer):
    page = new_page(browser, live_server, language, width=420, height=900)
    session = SessionStore()
    session["portal"] = {customer.merchant.slug: str(customer.pk)}
    session.save()
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_server.url}])
    return page


@pytest.mark.parametrize("language", ["en", "ru"])
def test_office_screens(browser, live_server, demo, language):
    merchant, anna = demo(language)
    text = TEXT[language]
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "owner@demo.test", lands_at="office")

    page.goto(f"{live_server.url}/office/audit/")
    content = page.content()
    assert text["role"] in content and text["adjust"] in content
    shot(page, f"{language}-office-audit")
    page.select_option("#id_action", "points.adjusted")
    page.click("[data-testid=audit-filters] button[type=submit]")
    page.wait_for_url(re.compile(r"action=points.adjusted"))
    shot(page, f"{language}-office-audit-filtered")

    page.goto(f"{live_server.url}/office/customers/?q=морозова")
    assert "Мария Морозова" in page.content()
    shot(page, f"{language}-office-customer-search")

    page.goto(f"{live_server.url}/office/customers/{anna.pk}/")
    page.click("[data-testid=profile-edit] summary")
    page.fill("#id_profile-phone", "8 (999) 765-43-21")
    shot(page, f"{language}-office-customer-edit")
    page.click("[data-testid=profile-edit-form] button[type=submit]")
    page.wait_for_url(re.compile(rf"/office/customers/{anna.pk}/$"))
    anna.refresh_from_db()
    assert anna.phone == "+79997654321"

    page.goto(f"{live_server.url}/office/program/pages/rules/")
    shot(page, f"{language}-office-rules-editor")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_counter_profile_and_403(browser, live_server, demo, language):
    merchant, anna = demo(language)
    text = TEXT[language]
    page = new_page(browser, live_server, language, width=1366, height=768)
    sign_in(page, live_server, "cashier@demo.test", lands_at="counter")

    page.fill("#q-big", "МОРОЗОВА")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=name-matches]")
    assert text["matches"] in page.content()
    shot(page, f"{language}-counter-name-search")

    page.goto(f"{live_server.url}/counter/customers/{anna.pk}/")
    page.click("[data-testid=profile-link]")
    page.wait_for_url(re.compile(r"/profile/$"))
    page.fill("#id_profile-name", "Анна Смирнова")
    page.fill("#id_profile-phone", "+7 999 123-45-68")  # Мария's number: refused
    page.click("[data-testid=profile-edit-form] button[type=submit]")
    page.wait_for_selector(".field-error")
    shot(page, f"{language}-counter-profile-error")
    page.fill("#id_profile-phone", "+7 999 123-45-67")
    page.click("[data-testid=profile-edit-form] button[type=submit]")
    page.wait_for_url(re.compile(rf"/counter/customers/{anna.pk}/$"))
    shot(page, f"{language}-counter-profile-saved")

    response = page.goto(f"{live_server.url}/office/")
    assert response.status == 403
    assert text["forbidden"] in page.content()
    shot(page, f"{language}-403")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_portal_pages_and_lockout(browser, live_server, demo, settings, language):
    merchant, anna = demo(language)
    text = TEXT[language]
    page = portal_page(browser, live_server, language, anna)
    page.goto(f"{live_server.url}/my/demo/profile/")
    assert text["locked"] in page.content()
    assert page.locator("input[name=birthday]").count() == 0
    shot(page, f"{language}-portal-profile")

    page.goto(f"{live_server.url}/my/demo/rules/")
    assert text["rules"] in page.content() and "<script>alert" not in page.content()
    shot(page, f"{language}-portal-rules")
    page.goto(f"{live_server.url}/my/demo/privacy/")
    assert text["privacy"] in page.content()
    shot(page, f"{language}-portal-privacy")

    join = new_page(browser, live_server, language, width=420, height=900)
    join.goto(f"{live_server.url}/my/demo/join/")
    shot(join, f"{language}-portal-join")

    settings.AXES_ENABLED = True
    staff = new_page(browser, live_server, language, width=1366, height=768)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        staff.goto(f"{live_server.url}/accounts/login/")
        staff.fill("input[name=username]", "owner@demo.test")
        staff.fill("input[name=password]", "wrong-password")
        staff.click("form:has(input[name=password]) button[type=submit]")
        staff.wait_for_load_state()
    assert text["lockout"] in staff.content()
    shot(staff, f"{language}-lockout")

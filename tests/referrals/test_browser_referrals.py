"""Referrals in the browser, in English and Russian (screenshots in artifacts/screens/, git-ignored).

A customer opens "Invite friends" in the portal on a 360 px phone and shares their link (no Web Share API in
headless Chromium: the link is copied instead); a friend opens the link, sees what they get, joins with the SMS
code and lands with the bigger welcome bonus; the customer's section then counts the friend and the points.
The marketer's referral screens are shot too.
"""
import re
from decimal import Decimal

import pytest
from django.contrib.sessions.backends.db import SessionStore

from accounts import sms
from accounts.models import Customer, Role
from accounts.services import staff_add
from referrals.models import InviteLink
from referrals.services.referrals import referral_settings_update
from tests.factories import MerchantFactory, customer_create, program_set
from tests.test_browser import PASSWORD, browser, new_page, shot, sign_in  # noqa: F401 (fixtures)
from tests.test_browser import pytestmark as browser_marks

pytestmark = browser_marks

TEXT = {
    "en": {"invite": "Invite friends", "copied": "Link copied", "invited": "invited you", "gets": "500 points on joining",
           "joined": "1 friend joined", "earned": "50 points earned", "example": "70 to Artem (50 + 20 extra); 10 to Alexander; 5 to Boris"},
    "ru": {"invite": "Пригласить друзей", "copied": "Ссылка скопирована", "invited": "Вас пригласил", "gets": "500 баллов при вступлении",
           "joined": "1 друг вступил", "earned": "50 баллов заработано", "example": "70 Артёму (50 + 20 дополнительно); 10 Александру; 5 Борису"},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_customer_shares_code_and_friend_joins(browser, live_server, language, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    text = TEXT[language]
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    program_set(merchant, welcome_bonus=300, accrual_percent=Decimal("5.00"))
    referral_settings_update(merchant=merchant, clean={"referee_welcome_bonus": 500, "referrer_bonus": 50, "referee_extra_percent": Decimal("2.00"),
                                                       "referee_extra_purchases": 3, "referrer_percent": Decimal("1.00")})
    alexander = customer_create(merchant, phone="+79161230045", name="Alexander", email="alex@demo.test", language=language)
    session = SessionStore()
    session["portal"] = {merchant.slug: str(alexander.pk)}
    session.create()

    phone = new_page(browser, live_server, language, width=360, height=780)
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    phone.context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": live_server.url}])
    phone.goto(f"{live_server.url}/my/demo/")
    section = phone.get_by_test_id("portal-invite")
    section.scroll_into_view_if_needed()
    assert text["invite"] in section.inner_text()
    link = phone.get_by_test_id("invite-url").input_value()
    assert link.endswith(f"/my/demo/join/?ref={alexander.referral_code}")
    section.locator("[data-invite-share]").click()
    phone.locator("[data-invite-status]", has_text=text["copied"]).wait_for()
    shot(phone, f"referrals-portal-invite-{language}")

    friend = new_page(browser, live_server, language, width=360, height=780)
    friend.goto(link)
    offer = friend.get_by_test_id("join-offer").inner_text()
    assert text["invited"] in offer and "Alexander ••45" in offer and text["gets"] in offer.replace("\u00a0", " ")
    shot(friend, f"referrals-portal-join-{language}")
    friend.fill("input[name=name]", "Artem")
    friend.fill("input[name=phone]", "+79120001167")
    friend.fill("input[name=email]", "artem@demo.test")
    friend.check("input[name=terms]")
    friend.click("form button[type=submit]")
    friend.wait_for_url(re.compile(r"/login/code/$"))
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1]["text"]).group(1)
    friend.fill("input[name=code]", code)
    friend.click("form button[type=submit]")
    friend.wait_for_url(re.compile(r"/my/demo/$"))
    artem = Customer.objects.get(merchant=merchant, phone="+79120001167")
    assert artem.referred_by_id == alexander.pk
    assert "500" in friend.locator("body").inner_text()

    phone.reload()
    stats = phone.get_by_test_id("invite-stats").inner_text()
    assert text["joined"] in stats and text["earned"] in stats


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_referral_screens(browser, live_server, language):
    text = TEXT[language]
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    program_set(merchant, welcome_bonus=300, accrual_percent=Decimal("5.00"))
    staff_add(merchant=merchant, email="marketer@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Mia")
    InviteLink.objects.create(merchant=merchant, code="fitmaster", name="FitMaster table tent", channel="partner", welcome_bonus=1000,
                              cost=Decimal("15000.00"), gifts=[{"name": "3 free sessions", "sku": "SESSION", "quantity": "3"}])
    InviteLink.objects.create(merchant=merchant, code="youtube", name="YouTube review", channel="ads", cost=Decimal("50000.00"))
    page = new_page(browser, live_server, language, width=1366, height=768)
    sign_in(page, live_server, "marketer@demo.test", lands_at="office")

    page.goto(f"{live_server.url}/office/referrals/")
    page.fill("input[name=referee_welcome_bonus]", "500")
    page.fill("input[name=referrer_bonus]", "50")
    page.fill("input[name=referee_extra_percent]", "2")
    page.fill("input[name=referee_extra_purchases]", "3")
    page.fill("input[name=referrer_percent]", "1")
    page.fill("input[name=second_level_percent]", "0.5")
    page.get_by_test_id("example-purchase").filter(has_text=text["example"]).wait_for()
    shot(page, f"referrals-office-settings-{language}")
    page.goto(f"{live_server.url}/office/referrals/links/")
    shot(page, f"referrals-office-links-{language}")
    page.goto(f"{live_server.url}/office/referrals/links/fitmaster/")
    shot(page, f"referrals-office-link-{language}")
    page.goto(f"{live_server.url}/office/referrals/links/fitmaster/report/")
    shot(page, f"referrals-office-report-{language}")
    page.goto(f"{live_server.url}/office/referrals/links/fitmaster/tent/")
    shot(page, f"referrals-office-tent-{language}")
    page.goto(f"{live_server.url}/office/referrals/links/new/")
    page.click("form[data-testid=invite-link-form] button[type=submit]")
    shot(page, f"referrals-office-link-errors-{language}")

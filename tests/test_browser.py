"""Browser flows on a live server, driven through Playwright with Debian's Chromium, in English and Russian.

(a) A cashier signs in, finds `8 (999) 123-45-67`, rings up 1,000.00 redeeming the maximum, sees
the new balance; a double submit commits once; then returns one line.
(b) The customer signs in with the emailed code and sees that purchase and return in the history,
with their reasons and the expiry date of the points.
(c) A marketer signs in, changes accrual to 7 %, and sees the new economics line.
Screenshots go to artifacts/screens/ (git-ignored).
"""
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail

from accounts.models import Role
from accounts.services import staff_add
from loyalty.models import Receipt, Refund
from loyalty.selectors import balance_get
from tests.factories import MerchantFactory, StoreFactory, customer_create, program_set

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from the test body are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENS = Path(__file__).resolve().parent.parent / "artifacts" / "screens"
PASSWORD = "demo12345"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
]

TEXT = {
    "en": {"new_balance": "New balance", "taken_back": "Points taken back", "expire": "points expire on", "history_return": "returned from receipt",
           "mall": "Mall"},
    "ru": {"new_balance": "Новый баланс", "taken_back": "Списано за возврат", "expire": "сгор", "history_return": "возврат",
           "mall": "ТЦ «Европа»"},
}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()
    playwright.stop()


def new_page(browser, live_server, language: str, *, width: int, height: int):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ru-RU" if language == "ru" else "en-US")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def shot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def sign_in(page, live_server, email: str, *, lands_at: str) -> None:
    """Staff sign in through the login form and land on their screen."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=password]) button[type=submit]")
    page.wait_for_url(re.compile(rf"/{lands_at}/$"))


@pytest.fixture
def shop(db):
    """The demo merchant with a cashier and a customer holding the 300-point welcome bonus."""
    def make(language: str):
        merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
        staff_add(merchant=merchant, email="cashier@demo.test", role=Role.CASHIER, password=PASSWORD, full_name="Kate")
        customer = customer_create(merchant, phone="+79991234567", name="Anna", email="customer@demo.test")
        return merchant, customer
    return make


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_cashier_sale_and_return_then_customer_sees_history(browser, live_server, shop, language):
    merchant, customer = shop(language)
    text = TEXT[language]
    page = new_page(browser, live_server, language, width=1366, height=768)

    # Sales above 900 wait for the cashier's confirmation; the shop has a second store.
    program_set(merchant, counter_confirm_amount=Decimal("900.00"))
    mall = StoreFactory(merchant=merchant, code="mall", name=text["mall"])

    # (a) The cashier signs in and lands at the counter with the search box focused.
    sign_in(page, live_server, "cashier@demo.test", lands_at="counter")
    assert page.evaluate("document.activeElement.id") == "q-big"
    assert merchant.name in page.get_by_test_id("counter-store").inner_text()  # sales go to main until chosen
    # Choosing a store in the top bar switches at once and holds for the session.
    page.select_option("#store-picker", "mall")
    page.locator("[data-testid=counter-store]", has_text=text["mall"]).wait_for()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "q-big"
    shot(page, f"{language}-counter-1-search")

    page.keyboard.type("8 (999) 123-45-67")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/counter/customers/{customer.pk}/$"))
    assert page.get_by_test_id("balance").inner_text().startswith("300")

    # Two lines adding up to 1,000.00; F4 redeems the maximum; the preview follows the typing.
    page.click(".sale-lines summary")
    page.fill("input[name=item_0]", "Shoes")
    page.fill("input[name=price_0]", "600.00")
    page.fill("input[name=item_1]", "Socks")
    page.fill("input[name=price_1]", "400.00")
    page.focus("#redeem")
    page.keyboard.press("F4")
    assert page.input_value("#redeem") == "max"
    # A locator wait: wait_for_function compiles its predicate in the page, which the Content-Security-Policy forbids.
    page.locator("[data-testid=to-pay]", has_text="700").wait_for()
    assert text["mall"] in page.get_by_test_id("sale-store").inner_text()
    assert page.get_by_test_id("confirm-note").is_visible()
    shot(page, f"{language}-counter-2-ring-up")

    # 1,000 is above 900: F8 asks first, and nothing is written until the cashier says yes.
    page.keyboard.press("F8")
    page.wait_for_selector("[data-testid=confirm]")
    assert Receipt.objects.filter(merchant=merchant).count() == 0
    assert page.evaluate("document.activeElement.dataset.testid") == "confirm-button"
    shot(page, f"{language}-counter-2b-confirm")

    # A double click on the confirmation commits once; so does posting the very same form again.
    form = page.evaluate("Object.fromEntries(new FormData(document.querySelector('form[data-commit-form]')))")
    page.dblclick("[data-commit]")
    page.wait_for_url(re.compile(r"/counter/receipts/.+done=sale"))
    replay = page.request.post(f"{live_server.url}/counter/customers/{customer.pk}/sale/", form={**form, "action": "confirm"},
                               headers={"Referer": page.url})
    assert replay.ok
    assert replay.url == page.url
    assert Receipt.objects.filter(merchant=merchant).count() == 1
    receipt = Receipt.objects.get(merchant=merchant)
    assert (receipt.redeemed_points, receipt.accrued_points) == (300, 35)
    assert receipt.store == mall
    assert page.get_by_test_id("new-balance").inner_text() == "35"
    assert text["new_balance"] in page.content()
    shot(page, f"{language}-counter-3-committed")

    # Return the socks.
    page.click("[data-testid=return-link]")
    socks = receipt.lines.get(sku="Socks")
    page.fill(f"input[name=qty_{socks.pk}]", "1")
    shot(page, f"{language}-counter-4-return")
    page.keyboard.press("F8")
    page.wait_for_url(re.compile(r"done=return"))
    assert page.get_by_test_id("points-reversed").inner_text() == "−14"
    assert page.get_by_test_id("points-returned").inner_text() == "+120"
    assert page.get_by_test_id("new-balance").inner_text() == "141"
    assert Refund.objects.filter(receipt=receipt).count() == 1
    assert balance_get(merchant=merchant, customer=customer).available == 141
    shot(page, f"{language}-counter-5-returned")
    page.context.close()

    # (b) The customer signs in with the emailed code and reads the history.
    phone = new_page(browser, live_server, language, width=360, height=780)
    phone.goto(f"{live_server.url}/my/demo/login/")
    shot(phone, f"{language}-portal-1-login")
    phone.fill("input[name=identifier]", "customer@demo.test")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/my/demo/login/code/$"))
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    phone.fill("input[name=code]", code)
    shot(phone, f"{language}-portal-2-code")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/my/demo/$"))
    assert phone.get_by_test_id("balance").inner_text().startswith("141")
    history = phone.get_by_test_id("history").inner_text()
    assert history.count(receipt.number) == 4  # paid with points, accrued, taken back, given back
    assert text["history_return"] in history.lower()
    expiring = phone.get_by_test_id("expiring").inner_text()
    assert text["expire"] in expiring
    assert str(receipt.purchased_at.year + 1) in expiring  # purchase points live a year
    shot(phone, f"{language}-portal-3-home")
    phone.context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_counter_and_portal_screen_renders(browser, live_server, shop, language, settings):
    """Every counter page at 1366×768 and portal page at 360×780, with their error states, for a look."""
    from django.utils import timezone

    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"  # the portal join form is offered only with SMS

    from loyalty.drafts import draft_parse
    from loyalty.services import receipt_commit, receipt_refund

    merchant, customer = shop(language)
    draft = draft_parse({"lines": [{"sku": "A1", "name": "Coffee beans", "quantity": "2", "price": "450"}], "redeem_points": 100},
                        currency=merchant.currency)
    receipt, _calc = receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer, draft=draft,
                                    number="A-1001", now=timezone.now())
    receipt_refund(receipt=receipt, data={"lines": [{"sku": "A1", "quantity": "1"}]})

    page = new_page(browser, live_server, language, width=1366, height=768)
    sign_in(page, live_server, "cashier@demo.test", lands_at="counter")
    counter_pages = {
        "home-not-found-join": "/counter/?q=8+912+000+11+22",
        "home-not-found": "/counter/?q=hello",
        "customer": f"/counter/customers/{customer.pk}/",
        "receipt": f"/counter/receipts/{receipt.pk}/",
        "returns": "/counter/returns/",
        "returns-not-found": "/counter/returns/?number=NOPE",
        "return": f"/counter/receipts/{receipt.pk}/return/",
    }
    for name, path in counter_pages.items():
        response = page.goto(live_server.url + path)
        assert response.status == 200, name
        shot(page, f"{language}-screen-counter-{name}")
    page.goto(f"{live_server.url}/counter/customers/{customer.pk}/")
    page.fill("#amount", "12,3,4")
    page.fill("#redeem", "lots")
    page.click("[data-commit]")
    page.wait_for_selector(".field-error")
    shot(page, f"{language}-screen-counter-customer-errors")
    page.goto(f"{live_server.url}/counter/receipts/{receipt.pk}/return/")
    page.fill(f"input[name=qty_{receipt.lines.get().pk}]", "5")
    page.click("[data-commit]")
    page.wait_for_selector(".field-error")
    shot(page, f"{language}-screen-counter-return-errors")
    page.context.close()

    phone = new_page(browser, live_server, language, width=360, height=780)
    phone.goto(f"{live_server.url}/my/demo/join/")
    shot(phone, f"{language}-screen-portal-join")
    phone.fill("input[name=phone]", "12")
    phone.click("button[type=submit]")
    phone.wait_for_selector(".field-error")
    shot(phone, f"{language}-screen-portal-join-errors")
    phone.goto(f"{live_server.url}/my/demo/login/")
    phone.fill("input[name=identifier]", "customer@demo.test")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/code/$"))
    phone.fill("input[name=code]", "000000" if "000000" not in mail.outbox[-1].body else "111111")
    phone.click("button[type=submit]")
    phone.wait_for_selector(".field-error")
    shot(phone, f"{language}-screen-portal-code-wrong")
    phone.fill("input[name=code]", re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1))
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/my/demo/$"))
    shot(phone, f"{language}-screen-portal-home")
    phone.goto(f"{live_server.url}/my/demo/profile/")
    shot(phone, f"{language}-screen-portal-profile")
    phone.fill("input[name=birthday]", "1990-05-01")
    phone.click("form:not([action]) button[type=submit], form[method=post]:has(input[name=email]) button[type=submit]")
    phone.wait_for_url(re.compile(r"saved=1"))
    shot(phone, f"{language}-screen-portal-profile-saved")
    phone.context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_portal_tier_progress_bar(browser, live_server, shop, language):
    """The portal home at 360 px: the tier, a progress bar "3,400.00 ₽ more to Gold", what each tier gives."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from loyalty.drafts import draft_parse
    from loyalty.services import receipt_commit
    from loyalty.services.tiers import tier_create

    merchant, customer = shop(language)
    gold = "Gold" if language == "en" else "Золото"
    tier_create(merchant=merchant, data={"code": "gold", "name": gold, "rank": 2, "accrual_percent": "7.00", "discount_percent": "3.00",
                                         "entry": {"total_spend": "10000.00"}})
    draft = draft_parse({"lines": [{"sku": "A1", "name": "Coffee", "quantity": "1", "price": "6600.00"}]}, currency=merchant.currency)
    receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer, draft=draft, number="T-1", now=timezone.now())
    session = SessionStore()
    session["portal"] = {merchant.slug: str(customer.pk)}
    session.create()

    phone = new_page(browser, live_server, language, width=360, height=780)
    phone.context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": live_server.url}])
    phone.goto(f"{live_server.url}/my/demo/")
    text = phone.get_by_test_id("tier-progress-text").inner_text().replace("\u00a0", " ")
    expected = "₽3,400.00 more to Gold" if language == "en" else "Ещё 3 400,00 ₽ до уровня Золото"
    assert text == expected
    bar = phone.locator(".tier-progress [role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == "66"
    width = phone.evaluate("document.querySelector('.progress-bar-fill').getBoundingClientRect().width / "
                           "document.querySelector('.progress').getBoundingClientRect().width")
    assert 0.6 < width < 0.7
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # nothing sticks out at 360 px
    ladder = phone.get_by_test_id("tier-ladder").inner_text()
    assert gold in ladder
    shot(phone, f"{language}-portal-tier-progress")
    phone.context.close()


ECONOMICS = {
    "en": "7 % accrual at the 50 % redemption rate you have had costs about 3.5 % of revenue.",
    "ru": "Начисление 7 % при вашей фактической доле списания 50 % стоит около 3,5 % выручки.",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_raises_accrual_and_sees_the_new_economics_line(browser, live_server, language):
    """(c) A marketer signs in, changes accrual to 7 %, and sees what it costs at the merchant's own redemption rate."""
    from loyalty.services import receipt_commit
    from tests.factories import draft

    merchant = MerchantFactory(slug="demo", name="Demo Shop", language=language)
    staff_add(merchant=merchant, email="marketer@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Marina")
    # History: 300 welcome points issued, 150 of them spent on a receipt paid wholly in points
    # (so nothing more is accrued): the measured redemption rate is 50 %.
    customer = customer_create(merchant, phone="+79991234567")
    receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                   draft=draft(("TOY", "1", "150.00"), redeem=150), number="1")
    page = new_page(browser, live_server, language, width=1366, height=900)

    sign_in(page, live_server, "marketer@demo.test", lands_at="office")
    page.goto(f"{live_server.url}/office/program/")
    page.fill("#id_accrual_percent", "7.00")
    page.click("form:has(#id_accrual_percent) button[type=submit]")
    page.wait_for_load_state("networkidle")

    economics = page.locator("#economics").inner_text().replace("\u00a0", " ")
    assert ECONOMICS[language] in economics
    merchant.program.refresh_from_db()
    assert str(merchant.program.accrual_percent) == "7.00"
    shot(page, f"{language}-office-program-7-percent")

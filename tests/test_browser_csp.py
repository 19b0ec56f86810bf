"""Under the Content-Security-Policy, in Chromium: nothing is refused, htmx, the charts, the language
switch, the tier bar and the API docs work, and a customer joins the portal with an SMS code.
Screenshots go to artifacts/screens/.
"""
import re
import time

import pytest

from accounts import sms
from accounts.models import Customer, Role
from accounts.services import staff_add
from tests.factories import MerchantFactory, customer_create
from tests.test_browser import PASSWORD, browser, new_page, pytestmark, shot, sign_in  # noqa: F401

__all__ = ["browser", "pytestmark"]


def wait_until(page, expression: str, timeout: float = 30.0) -> None:
    """Poll with evaluate: wait_for_function compiles its predicate in the page, which the policy forbids."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        time.sleep(0.1)


def watch_csp(page) -> list[str]:
    """Collect what the browser refused because of the policy (Chromium logs each refusal)."""
    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    return refused


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_pages_work_under_the_policy(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    staff_add(merchant=merchant, email="owner@demo.test", role=Role.OWNER, password=PASSWORD, full_name="Olga")
    # Surnames, not numbers: a number typed in the search also matches phone digits.
    for surname in ("Berg", "Voss", "Lind"):
        customer_create(merchant, name=f"Anna {surname}", email=f"anna.{surname.lower()}@demo.test")
    page = new_page(browser, live_server, language, width=1366, height=768)
    refused = watch_csp(page)
    sign_in(page, live_server, "owner@demo.test", lands_at="office")
    # The dashboard's charts draw from a static script.
    wait_until(page, "!!(window.Chart && Chart.getChart(document.getElementById('daily-chart')))")
    assert page.evaluate("!!Chart.getChart(document.getElementById('tier-chart'))")
    shot(page, f"{language}-csp-dashboard")
    # Staff: inviting someone who already works here is refused with a pointer to the role form.
    page.goto(f"{live_server.url}/office/staff/")
    assert page.input_value("#id_role") == "cashier"
    page.fill("#id_email", "owner@demo.test")
    page.click("form:has(#id_email) button[type=submit]")
    page.wait_for_selector(".field-error")
    shot(page, f"{language}-csp-staff-invite-refused")
    # htmx: the customer list filters as one types.
    page.goto(f"{live_server.url}/office/customers/")
    with page.expect_response(lambda response: "/office/customers/?" in response.url and "Anna" in response.url):
        page.fill("#id_q", "Anna Berg")
    wait_until(page, "document.querySelector('#customer-results').innerText.indexOf('Anna Voss') === -1")
    assert "Anna Berg" in page.inner_text("#customer-results")
    # The counter's live preview (htmx) and keyboard script.
    customer = merchant.customers.order_by("created_at").first()
    page.goto(f"{live_server.url}/counter/customers/{customer.pk}/")
    with page.expect_response(lambda response: f"/counter/customers/{customer.pk}/sale/" in response.url):
        page.fill("#amount", "1000")
    shot(page, f"{language}-csp-counter")
    # The language switch submits itself (a static script, not an onchange attribute).
    other = "ru" if language == "en" else "en"
    page.select_option("#lang-select", other)
    page.wait_for_selector(f"html[lang={other}]", state="attached")
    # The API docs: Swagger UI from this server, rendering the schema.
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock")
    shot(page, f"{language}-csp-api-docs")
    assert refused == []
    page.context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_customer_joins_with_an_sms_code(browser, live_server, language, settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    phone = new_page(browser, live_server, language, width=360, height=780)
    refused = watch_csp(phone)
    phone.goto(f"{live_server.url}/my/demo/login/")
    phone.click(f"a[href='/my/demo/join/']")
    phone.fill("input[name=name]", "Boris")
    phone.fill("input[name=phone]", "8 912 000-11-22")
    phone.fill("input[name=email]", "boris@demo.test")
    phone.check("input[name=terms]")
    shot(phone, f"{language}-csp-portal-join")
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/my/demo/login/code/$"))
    assert "+7 912 000-11-22" in phone.inner_text("main")
    assert not Customer.objects.filter(merchant=merchant).exists()
    shot(phone, f"{language}-csp-portal-join-code")
    code = re.search(r"\b(\d{6})\b", sms.outbox[-1]["text"]).group(1)
    phone.fill("input[name=code]", code)
    phone.click("button[type=submit]")
    phone.wait_for_url(re.compile(r"/my/demo/$"))
    assert phone.get_by_test_id("balance").inner_text().startswith("300")
    assert Customer.objects.get(merchant=merchant).phone == "+79120001122"
    shot(phone, f"{language}-csp-portal-joined")
    assert refused == []
    phone.context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_without_sms_the_portal_says_to_join_at_the_counter(browser, live_server, language, settings):
    settings.SMS_BACKEND = ""
    MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    phone = new_page(browser, live_server, language, width=360, height=780)
    phone.goto(f"{live_server.url}/my/demo/login/")
    assert phone.locator("a[href='/my/demo/join/']").count() == 0
    shot(phone, f"{language}-csp-portal-login-no-sms")
    phone.goto(f"{live_server.url}/my/demo/join/")
    assert phone.get_by_test_id("join-at-counter").is_visible()
    assert phone.locator("input[name=phone]").count() == 0
    shot(phone, f"{language}-csp-portal-join-at-counter")
    phone.context.close()

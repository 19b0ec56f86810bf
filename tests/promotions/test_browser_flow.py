"""The whole promotion flow in a real browser, English and Russian: a marketer creates "Milk -25 %, no points"
in the editor, and a cashier ringing up milk a minute later sees it applied in the preview and on the receipt.
Screenshots go to artifacts/screens/ (git-ignored)."""
import re
from decimal import Decimal

import pytest

from accounts.models import Role
from accounts.services import staff_add
from loyalty.models import Receipt
from tests.test_browser import PASSWORD, browser, new_page, shop, shot, sign_in  # noqa: F401 (fixtures)
from tests.test_browser import pytestmark as browser_marks

pytestmark = browser_marks

TEXT = {
    "en": {"name": "Yellow price: milk -25%", "created": "Promotion “Yellow price: milk -25%” created."},
    "ru": {"name": "Жёлтый ценник: молоко −25 %", "created": "Акция «Жёлтый ценник: молоко −25 %» создана."},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_creates_a_promotion_and_the_cashier_sees_it_applied(browser, live_server, shop, language):
    merchant, customer = shop(language)
    staff_add(merchant=merchant, email="marketer@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Mila")
    text = TEXT[language]

    # The marketer fills in the editor: a name, a code, the milk SKU as the target, 25 % off, no points on it.
    office = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(office, live_server, "marketer@demo.test", lands_at="office")
    office.goto(f"{live_server.url}/office/promotions/new/")
    office.fill("#id_name", text["name"])
    office.fill("#id_code", "milk-yellow")
    office.fill("#id_target_skus", "MILK-1")
    office.select_option("#id_effect_1_type", "percent_off")
    office.fill("#id_effect_1_value", "25")
    office.check("#id_block_accrual")
    office.click("[data-testid=promotion-form] button[type=submit].btn-primary")
    office.wait_for_selector("text=" + text["created"])
    shot(office, f"{language}-promo-flow-1-created")
    office.goto(f"{live_server.url}/office/promotions/")
    assert text["name"] in office.get_by_role("table").inner_text()
    office.context.close()

    # The cashier rings up milk and bread for the customer: the preview names the promotion and its 25.00.
    counter = new_page(browser, live_server, language, width=1366, height=768)
    sign_in(counter, live_server, "cashier@demo.test", lands_at="counter")
    counter.goto(f"{live_server.url}/counter/customers/{customer.pk}/")
    counter.click(".sale-lines summary")
    counter.fill("input[name=item_0]", "MILK-1")
    counter.fill("input[name=price_0]", "100.00")
    counter.fill("input[name=item_1]", "BREAD")
    counter.fill("input[name=price_1]", "50.00")
    counter.locator("[data-testid=explain]", has_text=text["name"]).wait_for()
    assert "25" in counter.get_by_test_id("discount").inner_text()
    shot(counter, f"{language}-promo-flow-2-preview")

    counter.keyboard.press("F8")
    counter.wait_for_url(re.compile(r"/counter/receipts/.+done=sale"))
    assert text["name"] in counter.get_by_test_id("explain").inner_text()
    shot(counter, f"{language}-promo-flow-3-receipt")
    counter.context.close()

    # What the screens said is what the ledger holds: 25.00 off the milk, points on the bread only (5 % of 50.00).
    receipt = Receipt.objects.get(merchant=merchant, customer=customer)
    assert receipt.discount == Decimal("25.00")
    assert receipt.accrued_points == 2

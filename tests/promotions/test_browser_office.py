"""The promotion screens in a real browser, English and Russian: the list, the editor (with a field error),
codes, and gifts and offers on the customer page. Screenshots go to artifacts/screens/ (git-ignored)."""
import os
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import Role
from accounts.services import staff_add
from loyalty.models import Tier
from promotions.models import Promotion
from promotions.services import code_batch_create, gift_grant, offer_grant, promotion_create
from tests.factories import MerchantFactory, customer_create
from tests.test_browser import CHROMIUM, PASSWORD, browser, new_page, shot, sign_in  # noqa: F401  (browser is a fixture)

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"),
    pytest.mark.django_db(transaction=True),
]

TEXT = {
    "en": {"title": "Promotions", "editor": "Schedule", "error": "Send a percentage from 0 to 100.", "codes": "Personal single-use codes",
           "gifts": "Gifts waiting", "created": "Promotion “Cat food -10%” created.", "backtest": "On the last 90 days"},
    "ru": {"title": "Акции", "editor": "Расписание", "error": "Send a percentage from 0 to 100.", "codes": "Личные одноразовые коды",
           "gifts": "Подарки к выдаче", "created": "Акция «Cat food -10%» создана.", "backtest": "За последние 90 дней"},
}


@pytest.mark.parametrize("language", ["en", "ru"])
def test_promotion_screens(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Хвост и лапы", language=language)
    staff_add(merchant=merchant, email="kate@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Kate")
    Tier.objects.create(merchant=merchant, code="gold", name="Gold" if language == "en" else "Золото", rank=2)
    anna = customer_create(merchant, phone="+79991234567", name="Анна Морозова")
    milk = promotion_create(merchant=merchant, data={
        "code": "milk-yellow", "name": "Milk -25%" if language == "en" else "Молоко −25 %", "target": {"skus": ["MILK-1"], "categories": []},
        "effects": [{"type": "percent_off", "value": "25"}], "block_accrual": True, "limits": {"budget_amount": "5000"}})
    Promotion.objects.filter(pk=milk.pk).update(uses=96, spent_amount=Decimal("1240"))
    promotion_create(merchant=merchant, data={
        "code": "friday", "name": "Friday evening ×2" if language == "en" else "Пятничный вечер ×2",
        "weekly": [{"days": [5], "from": "18:00", "to": "20:00"}], "effects": [{"type": "points_multiplier", "value": "2"}],
        "limits": {"budget_points": 20000}})
    code_batch_create(promotion=milk, data={"count": 3, "prefix": "PET-"})
    code_batch_create(promotion=milk, data={"customers": [str(anna.pk)]})
    gift_grant(customer=anna, data={"name": "5 packs of Whiskas" if language == "en" else "5 пакетиков Whiskas", "sku": "WHISKAS-85", "quantity": "5"})
    offer_grant(customer=anna, promotion=milk, days=14, uses=2)

    text = TEXT[language]
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "kate@demo.test", lands_at="office")
    page.goto(f"{live_server.url}/office/promotions/")
    assert text["title"] in page.content()
    shot(page, f"{language}-promotions-list")

    page.goto(f"{live_server.url}/office/promotions/new/")
    assert text["editor"] in page.content()
    page.fill("#id_name", "Cat food -10%")
    page.fill("#id_code", "cat-10")
    page.check("#id_window_1_days_4")
    page.fill("#id_window_1_from", "18:00")
    page.fill("#id_window_1_to", "20:00")
    page.check("#id_audience_tiers_0")
    page.fill("#id_target_categories", "Cats")
    page.select_option("#id_effect_1_type", "percent_off")
    page.fill("#id_effect_1_value", "110")
    page.click("[data-testid=promotion-form] button[type=submit].btn-primary")
    page.wait_for_selector("#id_effect_1_value_error_1")
    shot(page, f"{language}-promotions-editor-error")
    page.fill("#id_effect_1_value", "10")
    page.click("[data-testid=promotion-form] button[type=submit].btn-primary")
    page.wait_for_selector("text=" + text["created"])
    # The live preview prices the sample with the promotion alone; the back-test says what it would have done.
    page.fill("#id_sample_lines", "FOOD-1, Cats, 2, 100.00\nMILK-1, Dairy, 1, 80.00")
    page.click("[data-testid=preview-button]")
    page.wait_for_selector("[data-testid=preview-applied]")
    assert "Cat food -10%" in page.inner_text("[data-testid=promo-preview]")
    page.click("[data-testid=backtest-button]")
    page.wait_for_selector("[data-testid=promo-backtest] strong")
    assert text["backtest"] in page.inner_text("[data-testid=promo-backtest]")
    assert Promotion.objects.get(merchant=merchant, code="cat-10").weekly == [{"days": [5], "from": "18:00", "to": "20:00"}]
    shot(page, f"{language}-promotions-editor")

    page.goto(f"{live_server.url}/office/promotions/milk-yellow/codes/")
    assert text["codes"] in page.content()
    shot(page, f"{language}-promotions-codes")

    page.goto(f"{live_server.url}/office/customers/{anna.pk}/")
    assert text["gifts"] in page.content()
    shot(page, f"{language}-promotions-customer")

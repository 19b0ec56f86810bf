"""A marketer builds a segment in the browser, in English and Russian (screenshots in artifacts/screens/):
she types conditions and sees the count change as she types (htmx), adds a group, saves, sees sample
members and the CSV link, gives an occasion bonus; then the draws, badges and NPS screens, and the
customer's portal with the NPS question, badges and the leaderboard."""
import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import Role
from accounts.services import staff_add
from campaigns.models import Badge, Segment
from campaigns.services.draws import draw_create
from loyalty.models import Entry
from loyalty.services import receipt_commit
from tests.factories import MerchantFactory, customer_create, draft
from tests.test_browser import PASSWORD, browser, new_page, shot, sign_in  # noqa: F401 (fixtures)
from tests.test_browser import pytestmark as browser_marks

pytestmark = browser_marks

TEXT = {
    "en": {"members": "customers match now", "saved": "saved", "credited": "points credited", "survey": "recommend us"},
    "ru": {"members": "подходят сейчас", "saved": "сохранён", "credited": "Начислено", "survey": "порекомендуете"},
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_marketer_builds_a_segment_with_a_live_count(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    staff_add(merchant=merchant, email="marketer@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Marina")
    for index, gender in enumerate("fffmm"):
        customer = customer_create(merchant, name=f"Client {index}", gender=gender)
        if index < 2:
            receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                           draft=draft(("TENT", "1", "3000.00")), number=f"R-{index}")
    text = TEXT[language]
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "marketer@demo.test", lands_at="office")

    page.goto(f"{live_server.url}/office/campaigns/segments/new/")
    page.fill("#id_name", "Women who bought" if language == "en" else "Покупательницы")
    page.fill("#id_code", "women")
    assert page.get_by_test_id("segment-count").inner_text() == "5"  # no condition yet: everyone
    page.get_by_test_id("add-group").click()
    page.locator("#g-0-0-field").wait_for()
    page.select_option("#g-0-0-field", "gender")
    page.select_option("#g-0-0-op", "eq")
    page.fill("#g-0-0-value", "f")
    page.get_by_test_id("segment-count").filter(has_text="3").wait_for()
    assert text["members"] in page.get_by_test_id("segment-preview").inner_text()

    page.get_by_test_id("add-group").click()
    page.locator("#g-1-0-field").wait_for()
    page.select_option("#g-1-0-field", "purchases")
    page.select_option("#g-1-0-op", "gte")
    page.fill("#g-1-0-value", "1")
    page.get_by_test_id("segment-count").filter(has_text="2").wait_for()
    shot(page, f"{language}-segment-builder")

    page.fill("#g-1-0-value", "lots")
    page.get_by_test_id("segment-invalid").wait_for()
    page.fill("#g-1-0-value", "1")
    page.get_by_test_id("segment-count").filter(has_text="2").wait_for()

    page.get_by_test_id("segment-save").click()
    page.get_by_test_id("bonus-form").wait_for()
    assert text["saved"] in page.content()
    assert Segment.objects.get(merchant=merchant).code == "women"
    assert page.get_by_test_id("segment-sample").locator("li").count() == 2
    assert page.get_by_test_id("segment-export").get_attribute("href").endswith("/export.csv")

    page.fill("#id_points", "100")
    page.fill("#id_reason", "8 March" if language == "en" else "8 Марта")
    page.click("[data-testid=bonus-form] button[type=submit]")
    page.get_by_test_id("bonus-history").wait_for()
    assert text["credited"] in page.content()
    assert Entry.objects.filter(kind="bonus", points=100).count() == 2
    shot(page, f"{language}-segment-saved-bonus")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "ru"])
def test_engagement_screens_and_the_portal(browser, live_server, language):
    merchant = MerchantFactory(slug="demo", name="Demo Shop" if language == "en" else "Демо-магазин", language=language)
    staff_add(merchant=merchant, email="marketer@demo.test", role=Role.MARKETER, password=PASSWORD, full_name="Marina")
    Badge.objects.create(merchant=merchant, code="first", name="First purchase" if language == "en" else "Первая покупка",
                         rule="first_purchase", points=50)
    customers = [customer_create(merchant, name=name, phone=f"+7999123456{index}") for index, name in enumerate(["Anna Petrova", "Boris Ivanov"])]
    for index, customer in enumerate(customers):
        receipt_commit(merchant=merchant, store=merchant.stores.get(code="main"), customer=customer,
                       draft=draft(("TENT", "1", "3000.00")), number=f"R-{index}", now=timezone.now())
    draw_create(merchant=merchant, data={"code": "winter", "name": "Winter draw" if language == "en" else "Зимний розыгрыш", "winners": 1,
                                         "prize": {"points": 500}, "draw_at": (timezone.now()).isoformat()})
    page = new_page(browser, live_server, language, width=1366, height=900)
    sign_in(page, live_server, "marketer@demo.test", lands_at="office")
    page.goto(f"{live_server.url}/office/campaigns/engagement/draws/")
    shot(page, f"{language}-draws-before")
    page.get_by_test_id("draw-run").click()
    page.get_by_test_id("draw-seed").wait_for()
    shot(page, f"{language}-draws-after")
    page.goto(f"{live_server.url}/office/campaigns/engagement/badges/")
    assert page.get_by_test_id("badges").inner_text().count("2") >= 1
    shot(page, f"{language}-badges")

    session = SessionStore()
    session["portal"] = {merchant.slug: str(customers[0].pk)}
    session.create()
    phone = new_page(browser, live_server, language, width=360, height=780)
    phone.context.add_cookies([{"name": "sessionid", "value": session.session_key, "url": live_server.url}])
    phone.goto(f"{live_server.url}/my/demo/")
    assert TEXT[language]["survey"] in phone.get_by_test_id("portal-survey").inner_text()
    phone.get_by_test_id("leaderboard-join").click()
    phone.get_by_test_id("leaderboard-leave").wait_for()
    shot(phone, f"{language}-portal-club")
    phone.locator(".club-scores label").nth(9).click()
    phone.fill("#id_comment", "Great tents" if language == "en" else "Отличные палатки")
    phone.get_by_test_id("survey-send").click()
    phone.get_by_test_id("portal-survey").wait_for(state="detached")
    page.goto(f"{live_server.url}/office/campaigns/engagement/nps/")
    assert "Great tents" in page.content() or "Отличные палатки" in page.content()
    shot(page, f"{language}-nps")
